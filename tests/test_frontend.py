"""The editor's own suite (vitest, in frontend/tests) and its interface catalogues."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
PLURAL = re.compile(r"_(zero|one|two|few|many|other)$")


def catalogue(language: str) -> dict[str, str]:
    """Return the interface strings of one language."""
    return json.loads((FRONTEND / "src" / "i18n" / f"{language}.json").read_text("utf-8"))


def used_keys() -> set[str]:
    """Return every key the editor's code names in a t("...") call."""
    keys: set[str] = set()
    for path in (FRONTEND / "src").rglob("*.ts*"):
        keys |= set(re.findall(r"\bt\(\s*[\"']([A-Za-z0-9_.]+)[\"']", path.read_text("utf-8")))
    return keys


def test_english_and_russian_have_every_key_the_editor_uses_and_no_other() -> None:
    used = used_keys()
    assert len(used) > 100
    for language in ("en", "ru"):
        keys = {PLURAL.sub("", key) for key in catalogue(language)}
        assert sorted(used - keys) == [], f"{language}.json lacks these keys"
        assert sorted(keys - used) == [], f"{language}.json has keys the code does not use"


def test_the_editors_unit_tests_pass() -> None:
    # builds nothing: installs frontend/node_modules from the lockfile when missing, then vitest
    done = subprocess.run(["bash", str(ROOT / "scripts" / "build-editor.sh"), "test"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    assert re.search(r"Tests\s+\d+ passed", re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)), done.stdout[-2000:]
