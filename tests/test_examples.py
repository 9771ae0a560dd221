"""Every example in the repository is valid and the README's commands do what it says."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from jsonschema import Draft202012Validator

import schemas
from blocks import default_registry
from runtime import Workspace
from runtime.records import head
from runtime.workspace.settings import load_settings
from runtime.workspace.stable_form import dumps
from runtime.validation import validate_workspace

REPO = Path(__file__).resolve().parent.parent
WORKSPACE = REPO / "examples" / "workspace"
MANIFESTS = sorted((REPO / "examples" / "acme-crm" / "acme_crm").glob("*.json"))


def test_the_example_workspace_has_no_problem_at_all():
    assert validate_workspace(WORKSPACE, default_registry()) == []


def test_every_example_flow_goes_live_and_every_route_names_one():
    workspace = Workspace.load(WORKSPACE, default_registry())
    assert workspace.problems == {}
    assert set(workspace.flows) == {p.stem for p in (WORKSPACE / "flows").glob("*.json")}
    for channel in ("voice", "chat", "sms"):
        for flow_id in workspace.routes.get(channel, {}).values():
            assert flow_id in workspace.flows


def test_the_example_settings_are_valid_settings():
    settings = load_settings(WORKSPACE, environ={})
    assert settings["server"]["port"] == 8080


# the documents kept in git: not what a runtime writes under .callwright/ (data, flow versions)
DOCUMENTS = sorted(path for path in WORKSPACE.rglob("*.json")
                   if ".callwright" not in path.relative_to(WORKSPACE).parts)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_example_document_is_kept_in_the_stable_form(path):
    assert path.read_text("utf-8") == dumps(json.loads(path.read_text("utf-8")), default_registry())


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_example_block_manifest_is_a_valid_manifest(path):
    manifest = json.loads(path.read_text("utf-8"))
    assert list(Draft202012Validator(schemas.load("block")).iter_errors(manifest)) == []


# --- the README's command line, run as written --------------------------------------------------

README = REPO / "README.md"
# commands that run until they are stopped; tests/builder/test_serve.py runs serve and its worker,
# tests/runtime/ports/sip the voice node
UNTIL_STOPPED = {"serve", "worker", "voice"}
# the path each README simulation shows: the flow it runs -> the disposition it ends with
SIMULATED_ENDS = {"bank-ivr": "transferred", "support-bot": "completed",
                  "card-services": "card_blocked"}


def readme_commands() -> list[list[str]]:
    """Return the argv of every `callwright` command in the README's command-line section."""
    section = README.read_text("utf-8").split("\n## The command line\n", 1)[1].split("\n## ")[0]
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("callwright "):
                commands.append(shlex.split(line))
    return commands


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """Return a folder holding a copy of examples/workspace, where the README's paths resolve."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copytree(WORKSPACE, root / "examples" / "workspace",
                    ignore=shutil.ignore_patterns(".callwright"))
    return root


def check_exit_0(argv: list[str], result: subprocess.CompletedProcess) -> None:
    """A check or format command finds nothing to report."""
    assert result.returncode == 0, result.stdout + result.stderr


def check_simulation(argv: list[str], result: subprocess.CompletedProcess) -> None:
    """A simulation takes every input and ends where the README says, with no error."""
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e for e in events if e["event"] in ("error", "noinput")] == []
    assert events[-1]["event"] == "end"
    assert events[-1]["disposition"] == SIMULATED_ENDS[Path(argv[2]).stem]


def check_emulation(argv: list[str], result: subprocess.CompletedProcess) -> None:
    """An emulation answers every call and every call ends with no error to explain."""
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    calls = report["calls"]
    assert calls["offered"] > 0 and calls["answered"] == calls["offered"]
    assert (calls["failed"], calls["unfinished"], report["errors"]) == (0, 0, 0), report


def check_database(argv: list[str], result: subprocess.CompletedProcess) -> None:
    """The records database is brought to, or found at, the newest revision."""
    assert result.returncode == 0, result.stdout + result.stderr
    assert head() in result.stdout


CHECKS: dict[str, Callable[[list[str], subprocess.CompletedProcess], None]] = {
    "validate": check_exit_0, "fmt": check_exit_0, "bot": check_exit_0,
    "simulate": check_simulation, "emulate": check_emulation, "db": check_database}


def test_the_readme_shows_every_command_and_only_flows_with_a_known_end() -> None:
    assert {argv[1] for argv in COMMANDS} == set(CHECKS) | UNTIL_STOPPED
    simulated = {Path(argv[2]).stem for argv in COMMANDS if argv[1] == "simulate"}
    assert simulated == set(SIMULATED_ENDS)


@pytest.mark.parametrize("argv", [c for c in COMMANDS if c[1] not in UNTIL_STOPPED],
                         ids=lambda argv: " ".join(argv[1:3]))
def test_each_readme_command_does_what_the_readme_says(argv: list[str], checkout: Path) -> None:
    # the console script is this interpreter's `python -m builder.cli`
    result = subprocess.run([sys.executable, "-m", "builder.cli", *argv[1:]], cwd=checkout,
                            capture_output=True, text=True, timeout=300, check=False)
    CHECKS[argv[1]](argv, result)
