"""How Callwright ships: the installed package and its data, the scripts, README, CI, Docker, licence."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from importlib import import_module, resources
from importlib.metadata import distribution
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def read(relative: str) -> str:
    """Return the text of a file of the repository."""
    return (ROOT / relative).read_text("utf-8")


def dockerfile_stages() -> dict[str, dict]:
    """Parse the Dockerfile into stages: {name: {"base": image, "steps": [(INSTRUCTION, args)]}}."""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    stages: dict[str, dict] = {}
    current: dict | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", args.strip(), re.IGNORECASE)
            assert match, f"every stage is named (FROM image AS name): {line!r}"
            current = stages[match[2]] = {"base": match[1], "steps": []}
        else:
            assert current is not None, f"an instruction before the first FROM: {line!r}"
            current["steps"].append((instruction, " ".join(args.split())))
    return stages


def steps_of(stage: dict, instruction: str) -> list[str]:
    """Return the arguments of every step of a stage with the given instruction."""
    return [args for name, args in stage["steps"] if name == instruction]


# --- the installed package ----------------------------------------------------------------------

def test_the_import_packages_come_from_site_packages_not_the_source_tree() -> None:
    direct_url = json.loads(distribution("callwright").read_text("direct_url.json") or "{}")
    if direct_url.get("dir_info", {}).get("editable"):
        message = "callwright is installed editable here; bash scripts/test.sh tests the wheel"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    installed = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    for name in ("blocks", "runtime", "builder", "schemas"):
        location = Path(import_module(name).__file__).resolve()
        assert any(location.is_relative_to(base) for base in installed), \
            f"{name} was imported from {location}, not from {sorted(map(str, installed))}"
        assert not location.is_relative_to(ROOT / name), f"{name} was imported from the source tree"


def test_the_console_script_runs_the_cli() -> None:
    scripts = {ep.name: ep.value for ep in distribution("callwright").entry_points
               if ep.group == "console_scripts"}
    assert scripts == {"callwright": "builder.cli:main"}
    script = Path(sys.executable).parent / "callwright"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert distribution("callwright").version in done.stdout


def test_pyproject_declares_the_console_script_and_the_apache_licence() -> None:
    project = tomllib.loads(read("pyproject.toml"))["project"]
    assert project["scripts"] == {"callwright": "builder.cli:main"}
    assert project["license"] in ("Apache-2.0", {"text": "Apache-2.0"})


def test_every_schema_ships_with_the_installed_package() -> None:
    sources = sorted((ROOT / "schemas").glob("*.json"))
    assert "flow.schema.json" in [path.name for path in sources]
    for path in sources:
        shipped = resources.files("schemas").joinpath(path.name)
        assert shipped.is_file(), f"schemas/{path.name} is not in the installed package"
        assert shipped.read_text("utf-8") == path.read_text("utf-8"), \
            f"the installed schemas/{path.name} differs from the source: reinstall"


def test_every_builtin_block_manifest_ships_with_the_installed_package() -> None:
    sources = sorted((ROOT / "blocks" / "builtin").glob("*.json"))
    assert sources, "blocks/builtin has no manifests"
    for path in sources:
        shipped = resources.files("blocks.builtin").joinpath(path.name)
        assert shipped.is_file(), f"blocks/builtin/{path.name} is not in the installed package"
        assert json.loads(shipped.read_text("utf-8")) == json.loads(path.read_text("utf-8"))


def test_every_schema_is_a_valid_draft_2020_12_schema_with_its_own_id() -> None:
    ids: dict[str, str] = {}
    for path in sorted((ROOT / "schemas").rglob("*.json")):
        where = path.relative_to(ROOT)
        schema = json.loads(path.read_text("utf-8"))
        assert schema.get("$schema") == DRAFT_2020_12, f"{where}: $schema is not Draft 2020-12"
        assert isinstance(schema.get("$id"), str) and schema["$id"], f"{where}: no $id"
        assert schema["$id"] not in ids, f"{where}: $id also used by {ids.get(schema['$id'])}"
        ids[schema["$id"]] = str(where)
        Draft202012Validator.check_schema(schema)
    assert ids, "schemas/ has no JSON files"


# --- scripts, README and CI ---------------------------------------------------------------------

def test_the_readme_opens_with_the_start_and_the_test_command() -> None:
    text = read("README.md")
    first_block = re.search(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)
    assert first_block, "README.md has no code block"
    assert "\n## " not in text[:first_block.start()], "the commands must come before any section"
    commands = [line.split("#")[0].strip() for line in first_block[1].splitlines()]
    assert [c for c in commands if c] == ["bash scripts/start.sh", "bash scripts/test.sh"]


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    lines = read(".ci/run").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert lines[-1] == 'exec bash scripts/test.sh "$@"'


def test_start_test_and_docker_install_through_the_same_script() -> None:
    assert "bash scripts/install.sh" in read("scripts/start.sh")
    assert "bash scripts/install.sh test" in read("scripts/test.sh")
    runtime = dockerfile_stages()["runtime"]
    assert "bash scripts/install.sh" in steps_of(runtime, "RUN")


@pytest.mark.parametrize("script", ["scripts/install.sh", "scripts/start.sh", "scripts/test.sh",
                                    ".ci/run"])
def test_the_scripts_parse_as_bash(script: str) -> None:
    done = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr


# --- Docker -------------------------------------------------------------------------------------

def test_the_dockerfile_builds_the_frontend_then_the_python_runtime() -> None:
    stages = dockerfile_stages()
    assert list(stages) == ["frontend", "runtime"]
    assert stages["frontend"]["base"].startswith("node:20")
    assert stages["runtime"]["base"].startswith("python:3.11")
    assert any("[ -d frontend ]" in run for run in steps_of(stages["frontend"], "RUN"))
    assert any(copy.startswith("--from=frontend ") for copy in steps_of(stages["runtime"], "COPY"))


def test_the_runtime_image_installs_into_opt_callwright() -> None:
    runtime = dockerfile_stages()["runtime"]
    assert any("CALLWRIGHT_VENV=/opt/callwright" in env for env in steps_of(runtime, "ENV"))


def test_the_runtime_image_runs_callwright_serve_as_a_non_root_user() -> None:
    steps = dockerfile_stages()["runtime"]["steps"]
    names = [name for name, _ in steps]
    users = [args for name, args in steps if name == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    assert names.index("USER") < names.index("CMD")
    cmd = json.loads(steps_of(dockerfile_stages()["runtime"], "CMD")[-1])
    assert cmd[:2] == ["/opt/callwright/bin/callwright", "serve"]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--workspace") + 1] == "/workspace"


def test_the_runtime_image_exposes_http_and_sip_and_checks_health() -> None:
    runtime = dockerfile_stages()["runtime"]
    assert set(" ".join(steps_of(runtime, "EXPOSE")).split()) >= {"8080", "5060/udp"}
    healthchecks = steps_of(runtime, "HEALTHCHECK")
    assert len(healthchecks) == 1
    assert "http://127.0.0.1:8080/api/v1/health" in healthchecks[0]
    assert "urllib" in healthchecks[0]


def test_the_docker_context_leaves_out_venvs_node_modules_and_git() -> None:
    ignored = {line.strip() for line in read(".dockerignore").splitlines()}
    assert {".venv*", "**/node_modules", ".git", "build", "dist"} <= ignored


# --- licence ------------------------------------------------------------------------------------

def test_the_licence_is_the_full_apache_2_0_text() -> None:
    text = read("LICENSE")
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text
    for section in ("1. Definitions.", "2. Grant of Copyright License.", "3. Grant of Patent License.",
                    "9. Accepting Warranty or Additional Liability.", "END OF TERMS AND CONDITIONS"):
        assert section in text, f"LICENSE lacks {section!r}"

