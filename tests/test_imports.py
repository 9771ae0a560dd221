"""Import direction: builder -> runtime -> blocks -> schemas, checked in fresh interpreters and
by import-linter's contracts in pyproject.toml (layers, the SDK boundary, no cycles)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def modules_loaded_by(statement: str) -> set[str]:
    """Run a statement in a fresh interpreter and return the names of the modules it loaded."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    # -I: no current directory or PYTHONPATH on sys.path, so the installed package is what loads
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def packages_among(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    """Return which of the given top-level packages appear among the loaded modules."""
    return {name.partition(".")[0] for name in modules} & set(packages)


def test_importing_runtime_loads_neither_flask_nor_builder() -> None:
    loaded = modules_loaded_by("import runtime")
    assert "runtime" in loaded
    assert packages_among(loaded, ("flask", "builder")) == set()


def test_pyvoip_is_loaded_only_when_the_line_backend_is():
    # pyVoIP is GPL-3.0 and an extra: the product runs without it, the line backend alone needs
    # it. Checked on this source tree, whatever the virtualenv has installed.
    code = ("import json, sys\nimport runtime, runtime.ports.backends, builder.cli.voice\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "runtime.ports.backends" in loaded
    assert packages_among(loaded, ("pyVoIP",)) == set()


@pytest.mark.parametrize("statement", ["import blocks",
                                       "import blocks.sdk.testing",
                                       "import blocks; blocks.default_registry()"])
def test_blocks_load_neither_runtime_nor_flask_nor_builder(statement: str) -> None:
    loaded = modules_loaded_by(statement)
    assert "blocks" in loaded
    assert packages_among(loaded, ("runtime", "flask", "builder")) == set()


def test_the_command_line_entry_loads_no_web_server() -> None:
    loaded = modules_loaded_by("import builder.cli")
    assert packages_among(loaded, ("flask", "granian")) == set()


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run import-linter (installed beside this interpreter) with a configuration file."""
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert script is not None, "import-linter is part of the test extra"
    return subprocess.run([script, "--config", str(config), "--no-cache"], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_the_layering_and_cycle_contracts_hold() -> None:
    done = lint_imports(REPO / "pyproject.toml", REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_cycle_contract_catches_a_cycle(tmp_path: Path) -> None:
    # the same contract type over a package with a cycle between two of its modules
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loopy import b\n")
    (package / "b.py").write_text("from loopy import a\n")
    config = tmp_path / "contracts.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["loopy"]\n'
                      '[[tool.importlinter.contracts]]\nname = "no cycles"\n'
                      'type = "acyclic_siblings"\nancestors = ["loopy"]\n')
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import "
                           "lint_imports_command; sys.exit(lint_imports_command())", "--config",
                           str(config), "--no-cache"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
