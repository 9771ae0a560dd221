"""`callwright validate PATH...`: every problem, one per line, sorted; exit 0, 1 or 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import main

CALLWRIGHT = Path(sys.executable).parent / "callwright"


def flow(flow_id: str, text: str = "Hello.", **extra) -> dict:
    """Return a flow that says a text and ends."""
    return {"schema": "callwright/flow@1", "id": flow_id, "start": "hello",
            "blocks": {"hello": {"type": "say", "config": {"text": text},
                                 "exits": {"next": "bye"}},
                       "bye": {"type": "end"}, **extra}}


def write(path: Path, doc) -> Path:
    """Write a document (or raw text) as an indented JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), "utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write(tmp_path / "flows" / "support.json", flow("support"))
    write(tmp_path / "routes.json", {"schema": "callwright/routes@1",
                                     "voice": {"+4930123456": "support"}})
    return tmp_path


def line_with(path: Path, needle: str) -> int:
    """Return the number of the first line of a file that contains `needle`."""
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def run(*args: str):
    """Run the CLI in-process."""
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_sound_workspace_exits_0_and_prints_no_problem(workspace: Path):
    result = run("validate", workspace)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "no problems" in result.stderr


def test_errors_are_printed_one_per_line_sorted_and_exit_1(workspace: Path):
    bad = write(workspace / "flows" / "sales.json", flow("sales", "{{ oops", lost={
        "type": "say", "config": {"text": "x"}, "exits": {"next": "nowhere"}}))
    result = run("validate", workspace)
    assert result.exit_code == 1
    text, lost, nowhere = (line_with(bad, '"{{ oops"'), line_with(bad, '"lost"'),
                           line_with(bad, '"nowhere"'))
    assert result.stdout.splitlines() == [
        f"{bad}:{text}: error: /blocks/hello/config/text: template syntax error on line 1: "
        "unexpected end of template, expected 'end of print statement'. [block hello]",
        f"{bad}:{lost}: warning: /blocks/lost: block 'lost' cannot be reached from the start "
        "block 'hello' [block lost]",
        f"{bad}:{nowhere}: error: /blocks/lost/exits/next: exit 'next' goes to 'nowhere', "
        "which is not a block of this flow [block lost]"]
    assert "2 errors, 1 warning" in result.stderr


def test_warnings_alone_exit_0(workspace: Path):
    write(workspace / "flows" / "support.json", flow("support", spare={"type": "end"}))
    result = run("validate", workspace)
    assert result.exit_code == 0
    assert "warning: /blocks/spare: block 'spare' cannot be reached" in result.stdout


def test_files_are_recognised_by_their_schema(workspace: Path):
    result = run("validate", workspace / "flows" / "support.json", workspace / "routes.json")
    assert result.exit_code == 0, result.output
    write(workspace / "routes.json", {"schema": "callwright/routes@1", "chat": {"web": "gone"}})
    result = run("validate", workspace / "routes.json")
    assert result.exit_code == 1
    assert "routes.json:4: error: /chat/web: chat route 'web' goes to flow 'gone'" in result.stdout


def test_malformed_json_is_reported_with_line_and_column(tmp_path: Path):
    path = write(tmp_path / "x.json", '{\n  "schema": "callwright/flow@1"\n  "id": "x"\n}')
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.stdout == f"{path}:3:3: error: Expecting ',' delimiter at line 3 column 3\n"


def test_json_output_is_one_object_with_ok_and_every_problem(workspace: Path):
    path = write(workspace / "flows" / "support.json", flow("support", spare={"type": "end"}))
    result = run("validate", "--json", workspace)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    [problem] = report["problems"]
    assert problem == {"severity": "warning", "pointer": "/blocks/spare",
                       "message": "block 'spare' cannot be reached from the start block 'hello'",
                       "block": "spare", "file": str(workspace / "flows" / "support.json"),
                       "line": line_with(path, '"spare"'), "column": None, "field": None}
    write(workspace / "flows" / "support.json", flow("other"))
    report = json.loads(run("validate", "--json", workspace).stdout)
    assert report["ok"] is False and report["problems"][0]["pointer"] == "/id"


def test_a_path_that_does_not_exist_exits_2(tmp_path: Path):
    result = run("validate", tmp_path / "missing.json")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_no_path_at_all_is_a_usage_error():
    assert run("validate").exit_code == 2


def test_the_installed_command_validates_and_exits_1_on_errors(workspace: Path):
    path = write(workspace / "flows" / "support.json", flow("support", "{% if %}"))
    done = subprocess.run([str(CALLWRIGHT), "validate", str(workspace)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"{path}:{line_with(path, '{% if %}')}: error: "
                                  "/blocks/hello/config/text: template syntax error on line 1")
    done = subprocess.run([str(CALLWRIGHT), "validate", "--json", str(workspace / "routes.json")],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"ok": True, "problems": []})


def test_validate_does_not_load_flask(workspace: Path):
    code = ("import sys\nfrom builder.cli import main\n"
            "try:\n    main(['validate', sys.argv[1]])\nexcept SystemExit as exit:\n"
            "    print(exit.code, 'flask' in sys.modules, 'granian' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code, str(workspace)], capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["0", "False", "False"], done.stderr


def chain(flow_id: str, count: int) -> dict:
    """Return a valid flow of `count` blocks, each saying a line and going on to the next."""
    blocks = {f"b{i}": {"type": "say", "config": {"text": f"Line {i}."},
                        "exits": {"next": f"b{i + 1}"}} for i in range(count - 1)}
    blocks[f"b{count - 1}"] = {"type": "end"}
    return {"schema": "callwright/flow@1", "id": flow_id, "start": "b0", "blocks": blocks}


def test_a_flow_over_the_block_limit_is_one_error_at_blocks_and_exit_1(tmp_path: Path):
    path = write(tmp_path / "flows" / "huge.json", chain("huge", 10_001))
    result = run("validate", tmp_path)
    assert result.exit_code == 1
    line = line_with(path, '"blocks"')
    assert result.stdout == (f"{path}:{line}: error: /blocks: the flow "
                             "has 10,001 blocks, more than the 10,000 a flow may have: split it "
                             "into subflows\n")


def test_a_flow_at_the_block_limit_is_checked_as_any_other(tmp_path: Path):
    write(tmp_path / "flows" / "big.json", chain("big", 10_000))
    result = run("validate", tmp_path)
    assert result.exit_code == 0, result.output
    doc = chain("big", 10_000)
    doc["blocks"]["b9998"]["exits"]["next"] = "nowhere"
    write(tmp_path / "flows" / "big.json", doc)
    result = run("validate", "--json", tmp_path)
    assert result.exit_code == 1
    pointers = [p["pointer"] for p in json.loads(result.stdout)["problems"]]
    assert pointers == ["/blocks/b9998/exits/next", "/blocks/b9999"]
