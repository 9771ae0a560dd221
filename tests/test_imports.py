"""Import direction: builder -> runtime -> blocks -> schemas, checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


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
