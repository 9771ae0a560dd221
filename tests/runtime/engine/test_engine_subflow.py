"""A subflow runs with its inputs, hands back its outputs, and cannot nest without limit."""

from __future__ import annotations

from runtime import Runtime, simulate


def _run(path, **options):
    events: list[dict] = []
    return events, simulate(path, channel="voice", emit=events.append, **options)


def test_the_example_card_flow_verifies_the_caller_through_its_subflow(example_workspace):
    events, result = _run(example_workspace / "flows" / "card-services.json", inputs=["4321"])
    assert [e["block"] for e in events if e["event"] == "ask"] == ["ask_pin"]
    assert result.disposition == "card_blocked"
    assert result.vars["verified"] is True
    assert "pin" not in result.vars  # the subflow's own variables stay in the subflow


def test_a_failed_verification_comes_back_as_the_subflow_output(example_workspace):
    _, result = _run(example_workspace / "flows" / "card-services.json", inputs=["1111"])
    assert result.disposition == "not_verified" and result.vars["verified"] is False


def test_a_subflow_that_fails_takes_the_callers_error_exit(make_workspace, flow_doc):
    child = flow_doc("child", {"boom": {"type": "set", "config": {"values": {"vars.x": "{{ vars.a.b() }}"}}}})
    parent = flow_doc("parent", {
        "call": {"type": "subflow", "config": {"flow": "child"}, "exits": {"next": "ok", "error": "bad"}},
        "ok": {"type": "end", "config": {}},
        "bad": {"type": "end", "config": {"disposition": "child_failed"}}})
    root = make_workspace(child, parent)
    _, result = _run(root / "flows" / "parent.json")
    assert result.disposition == "child_failed"


def test_nesting_deeper_than_the_limit_takes_the_error_exit(make_workspace, flow_doc):
    def caller(flow_id, callee):
        return flow_doc(flow_id, {
            "call": {"type": "subflow", "config": {"flow": callee}, "exits": {"next": "done", "error": "too_deep"}},
            "done": {"type": "end", "config": {}},
            "too_deep": {"type": "end", "config": {"disposition": "too_deep"}}},
            settings={"max_subflow_depth": 2})
    leaf = flow_doc("leaf", {"e": {"type": "end", "config": {"disposition": "leaf"}}})
    root = make_workspace(caller("a", "b"), caller("b", "c"), caller("c", "leaf"), leaf)
    events, result = _run(root / "flows" / "a.json")
    assert any("depth limit 2" in e.get("message", "") for e in events if e["event"] == "error")
    assert result.disposition == "completed"  # c failed to call leaf, c ended too_deep, b and a went on


def test_a_chat_session_can_wait_inside_a_subflow_and_resume(make_workspace, flow_doc):
    child = flow_doc("ask-name", {
        "ask": {"type": "ask", "config": {"prompt": "Name?", "variable": "vars.name", "kind": "text"},
                "exits": {"next": "e"}},
        "e": {"type": "end", "config": {}}}, outputs=["name"])
    parent = flow_doc("greeter", {
        "call": {"type": "subflow", "config": {"flow": "ask-name", "outputs": {"vars.who": "name"}},
                 "exits": {"next": "hi"}},
        "hi": {"type": "end", "config": {"text": "Hi {{ vars.who }}!"}}})
    runtime = Runtime.open(make_workspace(child, parent), sessions_url="memory:")
    try:
        first = runtime.chat_turn("greeter", None, "start")
        second = runtime.chat_turn("greeter", first["session"], "Ada")
    finally:
        runtime.close()
    assert first["replies"][-1]["event"] == "ask" and not first["ended"]
    assert second["replies"][0] == {"event": "say", "block": "hi", "text": "Hi Ada!"}
    assert second["ended"]
