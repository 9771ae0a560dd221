"""The `script` block, end to end through the runtime and its real sandbox pool."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.script import ScriptBlock
from runtime import InvalidFlow, Runtime, simulate


def script_flow(flow_doc, code: str, **config) -> dict:
    """Return a flow: a script block, then an `end` that shows vars.out, and a `sorry` end."""
    return flow_doc("scripted", {
        "calc": {"type": "script", "config": {"code": code, **config},
                 "exits": {"next": "done", "error": "sorry"}},
        "done": {"type": "end", "config": {"text": "out={{ vars.out }}"}},
        "other": {"type": "end", "config": {"text": "other", "disposition": "other"}},
        "sorry": {"type": "end", "config": {"disposition": "handled"}}},
        variables={"n": 1, "keep": "me"})


def run(make_workspace, doc: dict, **options):
    """Simulate the flow on chat; return (transcript, simulation)."""
    root = make_workspace(doc)
    events: list[dict] = []
    result = simulate(root / "flows" / f"{doc['id']}.json", channel="chat", emit=events.append,
                      **options)
    return events, result


def test_a_script_changes_variables_and_takes_next(make_workspace, flow_doc):
    events, result = run(make_workspace, script_flow(flow_doc, "vars['n'] += 1\n"
                                                               "vars['out'] = vars['n'] * 10"))
    assert events[0] == {"event": "say", "block": "done", "text": "out=20"}
    assert result.vars == {"n": 2, "keep": "me", "out": 20}


def test_a_script_takes_the_listed_exit_it_returns(make_workspace, flow_doc):
    doc = script_flow(flow_doc, "return 'big' if vars['n'] > 0 else None", exits=["big"])
    doc["blocks"]["calc"]["exits"] = {"big": "other", "next": "done"}
    events, result = run(make_workspace, doc)
    assert events[0]["text"] == "other" and result.disposition == "other"


def test_an_exit_the_block_does_not_list_takes_error_and_changes_nothing(make_workspace, flow_doc):
    events, result = run(make_workspace, script_flow(flow_doc, "vars['n'] = 99\nreturn 'elsewhere'"))
    assert events[0]["event"] == "error"
    assert "returned exit 'elsewhere', which is not one of its exits ('next')" in events[0]["message"]
    assert result.vars["n"] == 1 and result.disposition == "handled"


def test_a_variable_name_with_a_dot_takes_error_and_changes_nothing(make_workspace, flow_doc):
    events, result = run(make_workspace, script_flow(flow_doc, "vars['n'] = 5\nvars['a.b'] = 1"))
    assert "contain no '.'" in events[0]["message"]
    assert result.vars == {"n": 1, "keep": "me"}


def test_a_deleted_variable_becomes_null(make_workspace, flow_doc):
    _, result = run(make_workspace, script_flow(flow_doc, "del vars['keep']"))
    assert result.vars["keep"] is None


def test_a_script_sees_contact_and_by_default_the_trigger_as_input(make_workspace, flow_doc):
    code = "vars['out'] = input['text'].upper() + ' from ' + contact['from']"
    events, _ = run(make_workspace, script_flow(flow_doc, code), trigger_text="hello",
                    sender="+4930123")
    assert events[0]["text"] == "out=HELLO from +4930123"


def test_the_input_field_hands_the_script_a_templated_value(make_workspace, flow_doc):
    doc = script_flow(flow_doc, "vars['out'] = input['n'] + 1", input={"n": "{{ vars.n }}"})
    events, _ = run(make_workspace, doc)
    assert events[0]["text"] == "out=2"


def test_dates_now_follows_the_sessions_clock(make_workspace, flow_doc):
    doc = script_flow(flow_doc, "vars['out'] = dates.now('Europe/Berlin').strftime('%H:%M')")
    events, _ = run(make_workspace, doc, now=datetime(2026, 1, 5, 8, 15, tzinfo=timezone.utc))
    assert events[0]["text"] == "out=09:15"


def test_a_script_error_takes_the_error_exit_with_its_line(make_workspace, flow_doc):
    events, result = run(make_workspace, script_flow(flow_doc, "x = 1\ny = x / 0"))
    assert events[0] == {"event": "error", "block": "calc",
                         "message": "script failed: line 2: ZeroDivisionError: division by zero"}
    assert result.disposition == "handled"


def test_a_script_that_breaks_a_limit_takes_the_error_exit_naming_the_limit(make_workspace,
                                                                              flow_doc):
    doc = script_flow(flow_doc, "while True:\n    pass", timeout_ms=50)
    events, result = run(make_workspace, doc)
    assert events[0]["message"] == "script stopped by the wall-clock limit (50 ms)"
    assert result.disposition == "handled"


def test_code_the_sandbox_refuses_is_a_validation_error_naming_the_field_and_line(make_workspace, flow_doc):
    with pytest.raises(InvalidFlow) as caught:
        run(make_workspace, script_flow(flow_doc, "x = 1\nimport os\nos.system('id')"))
    (problem,) = caught.value.problems
    assert problem.pointer == "/blocks/calc/config/code" and problem.block == "calc"
    assert problem.message.startswith("line 2: imports are not allowed in scripts")


def test_what_a_script_prints_goes_to_the_step_log(make_workspace, flow_doc):
    root = make_workspace(script_flow(flow_doc, "print('n was', vars['n'])\nvars['out'] = 'x'"))
    runtime = Runtime.open(root, sessions_url="memory:")
    try:
        reply = runtime.chat_turn("scripted", None, "go")
        steps = runtime.executions.steps(reply["session"])
    finally:
        runtime.close()
    assert steps[0]["block"] == "calc" and steps[0]["exit"] == "next"
    assert "n was 1" in str(steps[0]) and steps[0]["changes"] == [["vars.out", "x"]]


def test_exits_are_next_the_listed_ones_and_error():
    assert ScriptBlock.exits_for({"code": "x", "exits": ["vip", "blocked"]}) == [
        "next", "vip", "blocked", "error"]
    assert ScriptBlock.exits_for({"code": "x"}) == ["next", "error"]


def test_check_refuses_next_and_error_among_the_listed_exits():
    assert ScriptBlock.check({"code": "x", "exits": ["vip", "next", "error"]}) == [
        ("/exits/1", "`next` is always an exit of a script; list only extra exits"),
        ("/exits/2", "`error` is always an exit of a script; list only extra exits")]
    assert ScriptBlock.check({"code": "x", "exits": ["vip"]}) == []


@pytest.mark.parametrize("config, valid", [
    ({"code": "return 'x'"}, True),
    ({"code": "x = 1", "exits": ["a", "b"], "timeout_ms": 10000, "input": {"k": [1]}}, True),
    ({"code": ""}, False),
    ({"exits": ["a"]}, False),
    ({"code": "x = 1", "timeout_ms": 10001}, False),
    ({"code": "x = 1", "timeout_ms": 5}, False),
    ({"code": "x = 1", "exits": ["a", "a"]}, False),
    ({"code": "x = 1", "exits": ["has space"]}, False),
    ({"code": "x = 1", "language": "js"}, False),
])
def test_the_config_schema_says_what_a_script_block_accepts(config, valid):
    assert Draft7Validator(ScriptBlock.manifest["config_schema"]).is_valid(config) is valid


def test_code_is_a_raw_field_never_rendered_as_a_template():
    assert "code" in ScriptBlock.manifest["raw_fields"]
    assert "script" in ScriptBlock.manifest["capabilities"]
