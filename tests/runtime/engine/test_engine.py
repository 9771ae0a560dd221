"""The engine runs a session block by block, routes failures to `error` and enforces limits."""

from __future__ import annotations

import json
import time

import pytest

from runtime import InvalidFlow, Runtime, simulate


def run(path, channel="chat", **options):
    """Simulate a flow file and return (transcript, simulation)."""
    events: list[dict] = []
    result = simulate(path, channel=channel, emit=events.append, **options)
    return events, result


def test_a_flow_runs_from_its_start_to_its_end_with_a_transcript(make_workspace, flow_doc):
    root = make_workspace(flow_doc("hello", {
        "hi": {"type": "say", "config": {"text": "Hello {{ vars.name }}."}, "exits": {"next": "bye"}},
        "bye": {"type": "end", "config": {"text": "Bye."}}}, variables={"name": "Ada"}))
    events, result = run(root / "flows" / "hello.json")
    assert events == [
        {"event": "say", "block": "hi", "text": "Hello Ada."},
        {"event": "say", "block": "bye", "text": "Bye."},
        {"event": "end", "block": "bye", "disposition": "completed", "steps": 2},
    ]
    assert (result.disposition, result.exit_code) == ("completed", 0)


def test_an_unconnected_exit_ends_the_session_with_that_exit_as_disposition(make_workspace, flow_doc):
    root = make_workspace(flow_doc("menu", {
        "m": {"type": "menu", "config": {"prompt": "Pick", "options": [
            {"key": "1", "label": "One", "exit": "one"}]}}}))
    events, result = run(root / "flows" / "menu.json", inputs=["1"])
    assert events[-1] == {"event": "end", "block": "m", "disposition": "one", "steps": 1}


def test_a_failing_block_takes_its_error_exit_and_the_transcript_says_why(make_workspace, flow_doc):
    root = make_workspace(flow_doc("fails", {
        "bad": {"type": "branch", "config": {"rules": [
            {"when": {"var": "vars.x", "op": ">", "value": 1}, "exit": "x"}]},
                "exits": {"error": "sorry", "x": "sorry", "default": "sorry"}},
        "sorry": {"type": "end", "config": {"disposition": "handled"}}}), )
    events, result = run(root / "flows" / "fails.json", vars={"x": "many"})
    assert events[0]["event"] == "error" and events[0]["block"] == "bad"
    assert "cannot order text 'many' and number 1" in events[0]["message"]
    assert result.disposition == "handled" and result.exit_code == 0


def test_expr_conditions_run_in_the_script_sandbox(make_workspace, flow_doc):
    root = make_workspace(flow_doc("expr", {
        "check": {"type": "branch", "config": {"rules": [
            {"when": {"all": [{"var": "vars.balance", "op": "not_empty"},
                              {"expr": "vars['balance'] * 2 > 100 and len(contact['from']) > 3"}]},
             "exit": "rich"}]},
                  "exits": {"rich": "yes", "default": "no"}},
        "yes": {"type": "end", "config": {"disposition": "rich"}},
        "no": {"type": "end", "config": {"disposition": "poor"}}}))
    assert run(root / "flows" / "expr.json", vars={"balance": 60}, sender="+4930")[1].disposition == "rich"
    assert run(root / "flows" / "expr.json", vars={"balance": 40}, sender="+4930")[1].disposition == "poor"


def test_an_expr_that_tries_to_escape_takes_the_error_exit(make_workspace, flow_doc):
    root = make_workspace(flow_doc("escape", {
        "check": {"type": "branch", "config": {"rules": [
            {"when": {"expr": "vars.__class__.__mro__[1].__subclasses__()"}, "exit": "x"}]},
                  "exits": {"x": "done", "default": "done", "error": "refused"}},
        "done": {"type": "end", "config": {}},
        "refused": {"type": "end", "config": {"disposition": "refused"}}}))
    with pytest.raises(InvalidFlow) as caught:
        run(root / "flows" / "escape.json")
    assert any(p.pointer.endswith("/when/expr") for p in caught.value.problems)


def test_an_unconnected_error_exit_ends_the_session_as_a_flow_error(make_workspace, flow_doc):
    root = make_workspace(flow_doc("fails", {
        "bad": {"type": "set", "config": {"values": {"vars.x": "{{ vars.missing.call() }}"}}}}))
    events, result = run(root / "flows" / "fails.json")
    assert events[-1]["disposition"] == "error"
    assert result.exit_code == 1


def test_max_steps_stops_a_runaway_loop_with_a_clear_disposition(make_workspace, flow_doc):
    root = make_workspace(flow_doc("loop", {
        "inc": {"type": "set", "config": {"values": {"vars.i": "{{ vars.i + 1 }}"}}, "exits": {"next": "again"}},
        "again": {"type": "branch", "config": {"rules": [
            {"when": {"var": "vars.i", "op": "<", "value": -1}, "exit": "never"}]},
            "exits": {"never": "inc", "default": "inc"}}},
        variables={"i": 0}, settings={"max_steps": 50}))
    events, result = run(root / "flows" / "loop.json")
    assert events[-2] == {"event": "error", "block": "inc", "message": "max_steps (50) reached"}
    assert events[-1]["disposition"] == "max_steps"
    assert result.steps == 50 and result.vars["i"] == 25
    assert result.exit_code == 1


def test_max_session_time_ends_a_session_that_has_run_too_long(make_workspace, flow_doc):
    root = make_workspace(flow_doc("slow", {
        "ask": {"type": "ask", "config": {"prompt": "Name?", "variable": "vars.name", "kind": "text"},
                "exits": {"next": "bye"}},
        "bye": {"type": "end", "config": {}}}, settings={"max_session_s": 60}))
    runtime = Runtime.open(root, sessions_url="memory:")
    try:
        first = runtime.chat_turn("slow", None, "hi")
        session = runtime.sessions.get(first["session"])
        session.started_at = time.time() - 120
        runtime.sessions.save(session)
        second = runtime.chat_turn("slow", first["session"], "Ada")
    finally:
        runtime.close()
    assert second["ended"] is True
    assert second["replies"][-1]["disposition"] == "max_session_time"


def _secret_flow(flow_doc, url: str) -> dict:
    return flow_doc("secret", {
        "call": {"type": "http", "config": {"url": url, "headers": {"X-Api-Key": {"$secret": "CRM_TOKEN"}},
                                            "variable": "vars.reply"},
                 "exits": {"success": "tell", "failure": "oops", "error": "oops"}},
        "tell": {"type": "say", "config": {"text": "The service said {{ vars.reply.body.echo }}."},
                 "exits": {"next": "e"}},
        "e": {"type": "end", "config": {}},
        "oops": {"type": "end", "config": {"disposition": "no_secret"}}})


def test_secrets_resolve_at_run_time_and_never_reach_transcripts_or_logs(
        make_workspace, flow_doc, http_service, allow_loopback, monkeypatch):
    http_service.reply("GET", "/echo", 200, {"echo": "key tok-123"})
    root = make_workspace(_secret_flow(flow_doc, http_service.url + "/echo"))
    monkeypatch.setenv("CRM_TOKEN", "tok-123")
    events, result = run(root / "flows" / "secret.json")
    assert http_service.requests[0]["headers"]["X-Api-Key"] == "tok-123"
    assert events[0] == {"event": "say", "block": "tell", "text": "The service said key ***."}
    assert "tok-123" not in json.dumps(events)
    runtime = Runtime.open(root, sessions_url="memory:")
    try:
        reply = runtime.chat_turn("secret", None, "go")
        steps = runtime.executions.steps(reply["session"])
    finally:
        runtime.close()
    assert "tok-123" not in json.dumps(reply) + json.dumps(steps)


def test_a_secret_that_is_not_set_takes_the_error_exit_with_its_name(
        make_workspace, flow_doc, monkeypatch):
    monkeypatch.delenv("CRM_TOKEN", raising=False)
    root = make_workspace(_secret_flow(flow_doc, "http://127.0.0.1:9/x"))
    events, result = run(root / "flows" / "secret.json")
    assert "secret 'CRM_TOKEN' is not set" in events[0]["message"]
    assert result.disposition == "no_secret"


def test_a_flow_that_fails_validation_does_not_run(make_workspace, flow_doc):
    root = make_workspace(flow_doc("broken", {"a": {"type": "say", "config": {"text": "x"},
                                                    "exits": {"next": "nowhere"}}}))
    with pytest.raises(InvalidFlow) as caught:
        run(root / "flows" / "broken.json")
    assert any(p.pointer == "/blocks/a/exits/next" for p in caught.value.problems)


def test_every_step_is_logged_with_block_exit_time_and_variable_changes(make_workspace, flow_doc):
    root = make_workspace(flow_doc("log", {
        "s": {"type": "set", "config": {"values": {"vars.n": 7}}, "exits": {"next": "e"}},
        "e": {"type": "end", "config": {}}}))
    runtime = Runtime.open(root, sessions_url="memory:")
    try:
        reply = runtime.chat_turn("log", None, "go")
        steps = runtime.executions.steps(reply["session"])
    finally:
        runtime.close()
    assert [(s["block"], s["exit"]) for s in steps] == [("s", "next"), ("e", None)]
    assert steps[0]["changes"] == [["vars.n", 7]]
    assert all(s["ms"] >= 0 for s in steps)


def test_a_config_that_fails_to_render_fails_at_its_own_block(make_workspace, flow_doc):
    doc = flow_doc("broken", {
        "hello": {"type": "say", "config": {"text": "Hi."}, "exits": {"next": "oops"}},
        "oops": {"type": "say", "config": {"text": "{{ vars.word * vars.times }}"}}})
    events: list[dict] = []
    # over the templates' limits only with this data: validation lets it through
    simulate(make_workspace(doc) / "flows" / "broken.json", channel="chat", emit=events.append,
             vars={"word": "echo", "times": 100_000_000})
    errors = [event for event in events if event["event"] == "error"]
    assert [error["block"] for error in errors] == ["oops"]
