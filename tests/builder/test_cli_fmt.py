"""`callwright fmt PATH...`: rewrite in stable form only what changes; never touch broken files."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from blocks.registry import default_registry
from builder.cli import main
from runtime.workspace.stable_form import dumps

MESSY_FLOW = ('{"blocks": {"z": {"type": "end"}, "a": {"exits": {"next": "z"}, '
              '"config": {"text": "Привет"}, "type": "say"}}, "start": "a", "id": "main", '
              '"schema": "callwright/flow@1"}')


def run(*args):
    """Run the CLI in-process."""
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "bots").mkdir()
    (tmp_path / "responses").mkdir()
    (tmp_path / "flows" / "main.json").write_text(MESSY_FLOW, "utf-8")
    (tmp_path / "bots" / "bank.json").write_text(
        '{"intents": {}, "id": "bank", "schema": "callwright/bot@1"}', "utf-8")
    (tmp_path / "responses" / "bank.json").write_text(
        '{"responses": {}, "id": "bank", "schema": "callwright/responses@1"}', "utf-8")
    (tmp_path / "routes.json").write_text(
        '{"voice": {"*": "main"}, "schema": "callwright/routes@1"}', "utf-8")
    (tmp_path / "callwright.toml").write_text("[server]\nport = 8080\n", "utf-8")
    return tmp_path


def documents(root: Path) -> dict[str, bytes]:
    """Return every file under a folder by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_fmt_rewrites_a_workspaces_documents_in_the_stable_form(workspace: Path):
    result = run("fmt", workspace)
    assert result.exit_code == 0, result.output
    flow = workspace / "flows" / "main.json"
    assert flow.read_text("utf-8") == dumps(json.loads(MESSY_FLOW), default_registry())
    assert flow.read_text("utf-8").startswith('{\n  "schema": "callwright/flow@1",\n  "id": "main"')
    assert "Привет" in flow.read_text("utf-8")
    assert sorted(result.stdout.splitlines()) == sorted(
        f"reformatted {workspace / name}" for name in
        ["flows/main.json", "bots/bank.json", "responses/bank.json", "routes.json"])
    assert (workspace / "callwright.toml").read_text("utf-8") == "[server]\nport = 8080\n"


def test_fmt_twice_changes_nothing_and_writes_nothing(workspace: Path):
    assert run("fmt", workspace).exit_code == 0
    before = documents(workspace)
    old = 1_000_000_000
    for path in workspace.rglob("*.json"):
        os.utime(path, ns=(old, old))
    result = run("fmt", workspace)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "0 of 4 files reformatted" in result.stderr
    assert documents(workspace) == before
    assert all(p.stat().st_mtime_ns == old for p in workspace.rglob("*.json"))


def test_check_lists_what_would_change_writes_nothing_and_exits_1(workspace: Path):
    before = documents(workspace)
    result = run("fmt", "--check", workspace)
    assert result.exit_code == 1
    assert f"would reformat {workspace / 'flows' / 'main.json'}" in result.stdout.splitlines()
    assert documents(workspace) == before


def test_check_exits_0_when_everything_is_in_stable_form(workspace: Path):
    run("fmt", workspace)
    result = run("fmt", "--check", workspace)
    assert (result.exit_code, result.stdout) == (0, "")


def test_a_file_that_does_not_parse_is_reported_and_left_byte_identical(workspace: Path):
    broken = workspace / "flows" / "broken.json"
    broken.write_bytes(b'{"schema": "callwright/flow@1",\n  "id": "broken"\n  "start": "a"}\r\n')
    before = broken.read_bytes()
    result = run("fmt", workspace)
    assert result.exit_code == 1
    assert f"{broken}:3:3: error: Expecting ',' delimiter at line 3 column 3" in result.stderr
    assert broken.read_bytes() == before
    # the others were still formatted
    assert (workspace / "flows" / "main.json").read_text("utf-8").startswith('{\n  "schema"')


def test_a_file_with_a_repeated_key_is_not_rewritten(tmp_path: Path):
    path = tmp_path / "dup.json"
    path.write_text('{"schema": "callwright/flow@1", "id": "a", "id": "b"}', "utf-8")
    result = run("fmt", path)
    assert result.exit_code == 1
    assert "duplicate key 'id'" in result.stderr
    assert path.read_text("utf-8") == '{"schema": "callwright/flow@1", "id": "a", "id": "b"}'


def test_a_single_file_can_be_formatted(tmp_path: Path):
    path = tmp_path / "draft.json"
    path.write_text(MESSY_FLOW, "utf-8")
    assert run("fmt", "--check", path).exit_code == 1
    assert run("fmt", path).exit_code == 0
    assert run("fmt", "--check", path).exit_code == 0


def test_a_folder_with_no_documents_is_a_usage_error(tmp_path: Path):
    result = run("fmt", tmp_path)
    assert result.exit_code == 2
    assert "no documents to format" in result.stderr


def test_a_path_that_does_not_exist_exits_2(tmp_path: Path):
    assert run("fmt", tmp_path / "nope.json").exit_code == 2
