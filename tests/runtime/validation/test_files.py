"""runtime.validation.files: files and workspaces on disk, problems with file and line."""

import json
from pathlib import Path

import pytest

from blocks.registry import default_registry
from runtime.validation import validate_file, validate_routes, validate_workspace


def flow(flow_id: str, blocks: dict | None = None, start: str = "hello") -> dict:
    """Return a flow document; by default one that says hello and ends."""
    blocks = blocks or {"hello": {"type": "say", "config": {"text": "Hello."},
                                  "exits": {"next": "bye"}},
                        "bye": {"type": "end"}}
    return {"schema": "callwright/flow@1", "id": flow_id, "start": start, "blocks": blocks}


def calling(flow_id: str, target: str) -> dict:
    """Return a flow whose start calls another flow as a subflow."""
    return flow(flow_id, {"call": {"type": "subflow", "config": {"flow": target}}}, "call")


def write(path: Path, doc) -> Path:
    """Write a document (or raw text) as an indented JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), "utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write(tmp_path / "flows" / "support.json", flow("support"))
    write(tmp_path / "flows" / "billing.json", flow("billing"))
    write(tmp_path / "routes.json", {"schema": "callwright/routes@1",
                                     "voice": {"+4930123456": "support", "*": "billing"},
                                     "chat": {"web": "support"}})
    return tmp_path


def rows(problems) -> list[tuple]:
    """Return (file name, line, severity, pointer, message) of each problem."""
    return [(Path(p.file).name if p.file else None, p.line, p.severity, p.pointer, p.message)
            for p in problems]


def test_a_sound_workspace_has_no_problems(workspace: Path):
    assert validate_workspace(workspace, default_registry()) == []


def test_the_registry_defaults_to_the_default_one(workspace: Path):
    assert validate_workspace(workspace) == []


def test_a_flow_id_must_equal_its_file_name(workspace: Path):
    write(workspace / "flows" / "sales.json", flow("marketing"))
    assert rows(validate_workspace(workspace)) == [
        ("sales.json", 3, "error", "/id", "flow id 'marketing' does not match its file name "
                                          "'sales.json'")]


def test_a_malformed_flow_is_reported_with_line_and_column_and_the_rest_still_checked(
        workspace: Path):
    write(workspace / "flows" / "broken.json", '{\n  "schema": "callwright/flow@1"\n  "id": 1\n}')
    write(workspace / "flows" / "caller.json", calling("caller", "broken"))
    write(workspace / "flows" / "typo.json", flow("typo", {"hello": {"type": "sya"}}))
    assert rows(validate_workspace(workspace)) == [
        ("broken.json", 3, "error", "", "Expecting ',' delimiter at line 3 column 3"),
        ("typo.json", 7, "error", "/blocks/hello/type",
         "unknown block type 'sya' (did you mean 'say'?)")]
    assert validate_workspace(workspace)[0].column == 3


def test_routes_to_unknown_flows_are_errors_at_the_route(workspace: Path):
    write(workspace / "routes.json", {"schema": "callwright/routes@1",
                                      "voice": {"+4930123456": "support", "+4930999": "nope"}})
    [problem] = validate_workspace(workspace)
    assert rows([problem]) == [("routes.json", 5, "error", "/voice/+4930999",
                                "voice route '+4930999' goes to flow 'nope', which is not a "
                                "flow of the workspace")]


def test_routes_must_match_the_routes_schema(workspace: Path):
    write(workspace / "routes.json", {"schema": "callwright/routes@1", "fax": {"1": "support"},
                                      "chat": {"web": 5}})
    assert [(p.pointer, p.message) for p in validate_workspace(workspace)] == [
        ("/chat/web", "5 is not of type 'string'"),
        ("/fax", "unexpected property 'fax'")]


def test_routes_json_is_optional(workspace: Path):
    (workspace / "routes.json").unlink()
    assert validate_workspace(workspace) == []


def test_subflows_resolve_across_the_workspace(workspace: Path):
    write(workspace / "flows" / "main.json", calling("main", "billing"))
    write(workspace / "flows" / "lost.json", calling("lost", "nowhere"))
    assert rows(validate_workspace(workspace)) == [
        ("lost.json", 9, "error", "/blocks/call/config/flow",
         "subflow 'nowhere' is not a flow of the workspace")]


def test_a_subflow_cycle_across_files_is_reported_in_each_flow_of_it(workspace: Path):
    write(workspace / "flows" / "a.json", calling("a", "b"))
    write(workspace / "flows" / "b.json", calling("b", "a"))
    assert [(Path(p.file).name, p.message) for p in validate_workspace(workspace)] == [
        ("a.json", "subflow cycle: a -> b -> a"), ("b.json", "subflow cycle: b -> a -> b")]


def test_a_folder_without_flows_is_not_a_workspace(tmp_path: Path):
    [problem] = validate_workspace(tmp_path)
    assert problem.file == str(tmp_path) and "no flows/ folder" in problem.message


def test_bots_and_responses_are_checked_from_their_json_to_their_schemas(workspace: Path):
    write(workspace / "bots" / "bank.json", '{"schema": "callwright/bot@1",}')
    write(workspace / "responses" / "bank.json", '{"schema": "callwright/responses@1"}')
    bot, *responses = validate_workspace(workspace)
    assert (Path(bot.file).parent.name, bot.line) == ("bots", 1)
    assert bot.message.endswith(f"at line 1 column {bot.column}")  # wording varies
    assert {(Path(p.file).parent.name, p.pointer, p.message) for p in responses} == {
        ("responses", "", "'id' is a required property"),
        ("responses", "", "'responses' is a required property")}


def test_the_settings_file_is_left_to_the_settings_checks(workspace: Path):
    (workspace / "callwright.toml").write_text("this is [not toml", "utf-8")
    assert validate_workspace(workspace) == []


def test_validate_file_checks_a_flow_in_a_workspace_against_its_siblings(workspace: Path):
    path = write(workspace / "flows" / "main.json", calling("main", "billing"))
    assert validate_file(path) == []
    write(workspace / "flows" / "billing.json", calling("billing", "main"))
    assert [(p.file, p.line, p.message) for p in validate_file(path)] == [
        (str(path), 9, "subflow cycle: main -> billing -> main")]


def test_validate_file_of_a_lone_flow_checks_no_subflows_or_file_name(tmp_path: Path):
    path = write(tmp_path / "draft.json", calling("main", "billing"))
    assert validate_file(path) == []


def test_validate_file_puts_file_and_line_on_every_problem(tmp_path: Path):
    doc = flow("x", {"hello": {"type": "say", "config": {"text": "{{ x"},
                               "exits": {"next": "gone"}}})
    path = write(tmp_path / "x.json", doc)
    assert [(p.file, p.line, p.pointer) for p in validate_file(path, default_registry())] == [
        (str(path), 9, "/blocks/hello/config/text"), (str(path), 12, "/blocks/hello/exits/next")]


def test_validate_file_of_malformed_json_names_line_and_column(tmp_path: Path):
    path = write(tmp_path / "x.json", '{"schema": "callwright/flow@1",\n\n  "id": "x" "start"}')
    [problem] = validate_file(path)
    assert str(problem) == (f"{path}:3:13: error: Expecting ',' delimiter at line 3 column 13")


def test_validate_file_checks_routes_against_the_flows_beside_them(workspace: Path):
    assert validate_file(workspace / "routes.json") == []
    write(workspace / "routes.json", {"schema": "callwright/routes@1", "sms": {"*": "gone"}})
    assert [p.pointer for p in validate_file(workspace / "routes.json")] == ["/sms/*"]


def test_validate_file_refuses_a_document_of_unknown_kind(tmp_path: Path):
    [problem] = validate_file(write(tmp_path / "x.json", {"schema": "callwright/nope@9"}))
    assert problem.pointer == "/schema"
    assert problem.message.startswith("not a Callwright document: \"schema\" is "
                                      "'callwright/nope@9'")
    [problem] = validate_file(write(tmp_path / "y.json", [1, 2]))
    assert problem.pointer == ""


def test_validate_routes_without_flows_checks_the_shape_only():
    doc = {"schema": "callwright/routes@1", "voice": {"*": "anything"}}
    assert validate_routes(doc) == []
    assert [p.pointer for p in validate_routes(doc, {"other"})] == ["/voice/*"]
