"""The editor's simulator over HTTP: a flow's draft run a turn at a time, as `simulate` runs it."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from needs import program

from builder.app import create_app
from builder.auth.state import state_of

MENU = {
    "schema": "callwright/flow@1", "id": "menu", "start": "hello",
    "variables": {"name": "there"},
    "blocks": {
        "hello": {"type": "say", "config": {"text": "Welcome, {{ vars.name }}."},
                  "exits": {"next": "main"}},
        "main": {"type": "menu",
                 "config": {"prompt": "For your balance press 1. For an agent press 0.",
                            "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                                        {"key": "0", "label": "Agent", "exit": "agent",
                                         "synonyms": ["human"]}],
                            "max_attempts": 3,
                            "noinput_prompt": "Sorry, I did not get that.",
                            "nomatch_prompt": "That is not one of the choices."},
                 "exits": {"balance": "balance", "agent": "agent", "failed": "sorry"}},
        "balance": {"type": "set", "config": {"values": {"vars.balance": 42}},
                    "exits": {"next": "tell"}},
        "tell": {"type": "end", "config": {"text": "Your balance is {{ vars.balance }}."}},
        "agent": {"type": "transfer", "config": {"target": {"queue": "support"}}},
        "sorry": {"type": "end", "config": {"text": "Goodbye.", "disposition": "gave_up"}},
    },
}
HOURS = {
    "schema": "callwright/flow@1", "id": "hours", "start": "check",
    "blocks": {
        "check": {"type": "hours",
                  "config": {"timezone": "Europe/Berlin",
                             "weekly": {day: [["09:00", "18:00"]]
                                        for day in ("mon", "tue", "wed", "thu", "fri")}},
                  "exits": {"open": "open", "closed": "closed"}},
        "open": {"type": "end", "config": {"text": "We are open.", "disposition": "open"}},
        "closed": {"type": "end", "config": {"text": "We are closed.", "disposition": "closed"}},
    },
}
NOTIFY = {
    "schema": "callwright/flow@1", "id": "notify", "start": "text",
    "blocks": {
        "text": {"type": "send", "config": {"channel": "sms", "to": "{{ contact.from }}",
                                            "text": "Your code is 1234."},
                 "exits": {"next": "done"}},
        "done": {"type": "end", "config": {"text": "Sent."}},
    },
}


PASSWORD = "correct horse battery"


@pytest.fixture
def app(workspace_app):
    """Return an app over a workspace with the menu, hours and notify flows."""
    return workspace_app(MENU, HOURS, NOTIFY)


def browser(app, name: str | None = None):
    """Return a test client that sends its CSRF token with every request: the local admin's
    (a loopback server with no users), or that of a user signed in by name."""
    client = app.test_client()
    if name is None:
        answer = client.get("/api/v1/session")
    else:
        answer = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    client.environ_base["HTTP_X_CSRF_TOKEN"] = answer.get_json()["csrf_token"]
    return client


@pytest.fixture
def client(app):
    """Return the local admin's test client."""
    return browser(app)


def start(client, flow: str = "menu", **body):
    """Start a simulation of a flow; return the response."""
    return client.post(f"/api/v1/flows/{flow}/simulations", json=body)


def send(client, simulation: str, text: str):
    """Send an input to a simulation; return the response."""
    return client.post(f"/api/v1/simulations/{simulation}/inputs", json={"text": text})


def kinds(events: list[dict]) -> list[str]:
    """Return the event names of a transcript."""
    return [event["event"] for event in events]


def texts(events: list[dict]) -> list[str]:
    """Return what the say and ask events of a transcript say."""
    return [event.get("text") or event.get("prompt") for event in events
            if event["event"] in ("say", "ask")]


def error_of(response) -> dict:
    """Return the error object of an error envelope."""
    return response.get_json()["error"]


def test_a_chat_simulation_shows_choices_retries_and_the_end(client) -> None:
    first = start(client, channel="chat", trigger="hi")
    assert first.status_code == 201
    turn = first.get_json()
    assert first.headers["Location"] == f"/api/v1/simulations/{turn['simulation']}"
    assert kinds(turn["events"]) == ["say", "ask"]
    ask = turn["events"][1]
    assert ask["kind"] == "choice"
    assert ask["choices"] == [{"key": "1", "label": "Balance"}, {"key": "0", "label": "Agent"}]
    assert ask["quick_replies"] == ["Balance", "Agent"]
    assert turn["ended"] is False

    wrong = send(client, turn["simulation"], "weather?").get_json()
    assert kinds(wrong["events"]) == ["input", "say", "ask"]
    assert wrong["events"][0] == {"event": "input", "text": "weather?", "mode": "text"}
    assert texts(wrong["events"]) == ["That is not one of the choices.",
                                      "For your balance press 1. For an agent press 0."]
    silent = send(client, turn["simulation"], "").get_json()
    assert kinds(silent["events"]) == ["noinput", "say", "ask"]
    assert texts(silent["events"])[0] == "Sorry, I did not get that."

    last = send(client, turn["simulation"], "balance").get_json()
    assert kinds(last["events"]) == ["input", "say", "end"]
    assert texts(last["events"]) == ["Your balance is 42."]
    assert last["events"][-1] == {"event": "end", "block": "tell", "disposition": "completed",
                                  "steps": 4}
    assert last["ended"] is True
    assert last["vars"] == {"name": "there", "balance": 42}


def test_a_voice_simulation_takes_dtmf_and_shows_what_would_be_spoken(client) -> None:
    turn = start(client, channel="voice", **{"from": "+4915112345678", "to": "+4930123456"})
    first = turn.get_json()
    say, ask = first["events"]
    assert say["speak"] == "Welcome, there."
    assert ask["speak"] == "For your balance press 1. For an agent press 0."
    wrong = send(client, first["simulation"], "7").get_json()
    assert wrong["events"][0] == {"event": "input", "text": "7", "mode": "dtmf"}
    assert [e.get("speak") for e in wrong["events"][1:]] == [
        "That is not one of the choices.", "For your balance press 1. For an agent press 0."]
    spoken = send(client, first["simulation"], "human").get_json()
    assert spoken["events"][0]["mode"] == "speech"
    # a transfer connects in the simulator: the session ends handed over
    assert kinds(spoken["events"]) == ["input", "transfer", "end"]
    assert spoken["events"][1]["target"] == {"queue": "support"}
    assert spoken["events"][-1]["disposition"] == "transferred"


def test_a_voice_simulation_hears_speech_with_the_recogniser(client) -> None:
    program("espeak-ng", "espeak-ng")
    simulation = start(client, channel="voice").get_json()["simulation"]
    outside = send(client, simulation, "speech:what time is it").get_json()
    assert outside["events"][0] == {"event": "input", "text": "", "mode": "speech",
                                    "confidence": 0.0}  # a nomatch: the menu asks again
    spoken = send(client, simulation, "speech:human").get_json()["events"][0]
    assert spoken["text"] == "human" and spoken["mode"] == "speech"
    assert spoken["confidence"] >= 0.5


def test_a_voice_caller_who_never_answers_runs_out_of_attempts(client) -> None:
    simulation = start(client, channel="voice").get_json()["simulation"]
    for _ in range(2):
        assert send(client, simulation, "").get_json()["ended"] is False
    last = send(client, simulation, "").get_json()
    assert kinds(last["events"]) == ["noinput", "say", "say", "end"]
    assert texts(last["events"]) == ["Sorry, I did not get that.", "Goodbye."]
    assert last["events"][-1]["disposition"] == "gave_up"


@pytest.mark.parametrize(("now", "disposition"), [
    ("2024-03-04T10:30:00+01:00", "open"),      # a Monday morning in Berlin
    ("2024-03-04T18:30:00", "closed"),          # 19:30 in Berlin: no offset is UTC
    ("2024-03-09T11:00:00+01:00", "closed"),    # a Saturday
])
def test_now_fixes_the_clock_the_hours_block_reads(client, now: str, disposition: str) -> None:
    turn = start(client, "hours", channel="chat", now=now).get_json()
    assert turn["ended"] is True
    assert turn["events"][-1]["disposition"] == disposition
    assert turn["path"] == [{"flow": "hours", "block": "check", "exit": disposition},
                            {"flow": "hours", "block": disposition, "exit": None}]


def test_vars_are_set_before_the_start_and_shown_after_each_turn(client) -> None:
    turn = start(client, channel="chat", vars={"name": "Ann", "tier": "gold"}).get_json()
    assert turn["events"][0]["text"] == "Welcome, Ann."
    assert turn["vars"] == {"name": "Ann", "tier": "gold"}
    after = send(client, turn["simulation"], "1").get_json()
    assert after["vars"] == {"name": "Ann", "tier": "gold", "balance": 42}


def test_the_path_lists_every_block_walked_with_its_exit(client) -> None:
    turn = start(client, channel="chat").get_json()
    assert turn["path"] == [{"flow": "menu", "block": "hello", "exit": "next"},
                            {"flow": "menu", "block": "main", "exit": None}]
    send(client, turn["simulation"], "nope")
    last = send(client, turn["simulation"], "1").get_json()
    assert last["path"] == [{"flow": "menu", "block": "hello", "exit": "next"},
                            {"flow": "menu", "block": "main", "exit": None},
                            {"flow": "menu", "block": "main", "exit": None},
                            {"flow": "menu", "block": "main", "exit": "balance"},
                            {"flow": "menu", "block": "balance", "exit": "next"},
                            {"flow": "menu", "block": "tell", "exit": None}]


def test_reading_a_simulation_gives_every_event_so_far(client) -> None:
    first = start(client, channel="sms", trigger="hello").get_json()
    second = send(client, first["simulation"], "0").get_json()
    whole = client.get(f"/api/v1/simulations/{first['simulation']}")
    assert whole.status_code == 200
    assert whole.get_json() == {"simulation": first["simulation"],
                                "events": first["events"] + second["events"],
                                "path": second["path"], "vars": second["vars"], "ended": True}


def test_a_send_is_shown_and_never_delivered(app, client, monkeypatch) -> None:
    queued: list[str] = []
    monkeypatch.setattr(app.extensions["callwright.runtime"], "enqueue",
                        lambda task, payload, key: queued.append(task) or key)
    turn = start(client, "notify", channel="sms", **{"from": "+4915112345678"}).get_json()
    send_event = turn["events"][0]
    assert send_event["event"] == "send" and send_event["block"] == "text"
    assert kinds(turn["events"]) == ["send", "say", "end"]
    assert queued == []


def test_an_input_after_the_end_is_a_conflict(client) -> None:
    simulation = start(client, "hours", channel="chat").get_json()["simulation"]
    response = send(client, simulation, "1")
    assert response.status_code == 409
    assert error_of(response)["code"] == "session_ended"


def test_the_chat_api_never_continues_a_simulation(client) -> None:
    simulation = start(client, channel="chat").get_json()["simulation"]
    response = client.post("/api/v1/chat/menu/messages",
                           json={"session": simulation, "text": "1"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "session_not_found"
    # and the simulation still waits where it was
    assert send(client, simulation, "1").get_json()["ended"] is True


def test_a_chat_session_is_not_a_simulation(client) -> None:
    chat = client.post("/api/v1/chat/menu/messages", json={"text": "hi"}).get_json()
    for response in (client.get(f"/api/v1/simulations/{chat['session']}"),
                     send(client, chat["session"], "1")):
        assert response.status_code == 404
        assert error_of(response)["code"] == "session_not_found"


def test_unknown_flows_and_simulations_are_not_found(client) -> None:
    assert error_of(start(client, "nope", channel="chat"))["code"] == "flow_not_found"
    for response in (client.get("/api/v1/simulations/0123456789abcdef0123456789abcdef"),
                     client.get("/api/v1/simulations/..%2F..%2Fetc"),
                     send(client, "0123456789abcdef0123456789abcdef", "1")):
        assert response.status_code == 404


@pytest.mark.parametrize(("body", "pointer"), [
    ({}, "/channel"),
    ({"channel": "fax"}, "/channel"),
    ({"channel": "chat", "now": "tomorrow"}, "/now"),
    ({"channel": "chat", "now": 1709546400}, "/now"),
    ({"channel": "chat", "vars": ["a"]}, "/vars"),
    ({"channel": "chat", "trigger": 3}, "/trigger"),
    ({"channel": "chat", "inputs": ["1"]}, "/inputs"),
])
def test_a_bad_start_names_each_wrong_field(client, body: dict, pointer: str) -> None:
    response = client.post("/api/v1/flows/menu/simulations", json=body)
    assert response.status_code == 400
    assert [d["pointer"] for d in error_of(response)["details"]] == [pointer]


@pytest.mark.parametrize("body", [{}, {"text": 1}, {"text": "1", "mode": "dtmf"}, ["1"]])
def test_a_bad_input_is_refused_and_changes_nothing(client, body) -> None:
    simulation = start(client, channel="chat").get_json()["simulation"]
    response = client.post(f"/api/v1/simulations/{simulation}/inputs", json=body)
    assert response.status_code == 400
    assert len(client.get(f"/api/v1/simulations/{simulation}").get_json()["events"]) == 2


def test_another_process_goes_on_with_a_simulation(app, client) -> None:
    """A later input may reach another serve worker: it finds the draft, session and events."""
    root = app.extensions["callwright.runtime"].workspace.root
    first = start(client, channel="chat").get_json()
    other = create_app(root, {"TESTING": True})
    try:
        second = send(browser(other), first["simulation"], "1").get_json()
        assert texts(second["events"]) == ["Your balance is 42."]
        whole = client.get(f"/api/v1/simulations/{first['simulation']}").get_json()
    finally:
        other.extensions["callwright.runtime"].close()
    assert whole["events"] == first["events"] + second["events"]
    assert len(whole["path"]) == 5 and whole["ended"] is True


def test_turns_match_the_documented_schema(app, client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/SimulationTurn", "components": spec["components"]}
    turn = start(client, channel="voice").get_json()
    later = send(client, turn["simulation"], "0").get_json()
    whole = client.get(f"/api/v1/simulations/{turn['simulation']}").get_json()
    for answer in (turn, later, whole):
        assert list(Draft202012Validator(schema).iter_errors(answer)) == []
        json.dumps(answer)


def test_a_draft_is_what_runs_not_the_published_flow(client) -> None:
    draft = client.get("/api/v1/flows/hours/draft")
    changed = {**HOURS, "blocks": {**HOURS["blocks"], "closed": {
        "type": "end", "config": {"text": "Back tomorrow.", "disposition": "closed"}}}}
    saved = client.put("/api/v1/flows/hours/draft", json=changed,
                       headers={"If-Match": draft.headers["ETag"]})
    assert saved.status_code == 200, saved.get_json()
    turn = start(client, "hours", channel="chat", now="2024-03-09T11:00:00+01:00").get_json()
    assert texts(turn["events"]) == ["Back tomorrow."]


def test_a_flow_never_published_is_simulated_from_its_draft(client) -> None:
    created = client.post("/api/v1/flows", json={"id": "fresh", "name": "Fresh"})
    assert created.status_code == 201, created.get_json()
    turn = start(client, "fresh", channel="chat")
    assert turn.status_code == 201
    assert turn.get_json()["events"][-1]["event"] == "end"


def test_a_draft_that_cannot_run_is_refused_with_every_problem(client) -> None:
    draft = client.get("/api/v1/flows/menu/draft")
    broken = {**MENU, "blocks": {**MENU["blocks"],
                                 "hello": {"type": "say", "config": {"txt": "Hi."},
                                           "exits": {"next": "nowhere"}}}}
    saved = client.put("/api/v1/flows/menu/draft", json=broken,
                       headers={"If-Match": draft.headers["ETag"]})
    assert saved.status_code == 200, saved.get_json()
    response = start(client, channel="chat")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_flow"
    pointers = {detail["pointer"] for detail in error["details"]}
    assert "/blocks/hello/exits/next" in pointers
    assert any(pointer.startswith("/blocks/hello/config") for pointer in pointers)
    assert all(detail["severity"] == "error" for detail in error["details"])


def test_simulating_needs_the_editor_role(app) -> None:
    for name, role in (("vera", "viewer"), ("ed", "editor")):
        state_of(app).users.add(name, role, PASSWORD, display_name=name.title(),
                                email=f"{name}@example.com")
    editor = browser(app, "ed")
    simulation = start(editor, channel="chat").get_json()["simulation"]
    viewer = browser(app, "vera")
    for response in (start(viewer, channel="chat"), send(viewer, simulation, "1"),
                     viewer.get(f"/api/v1/simulations/{simulation}")):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert app.test_client().get(f"/api/v1/simulations/{simulation}").status_code == 401
    assert send(editor, simulation, "1").get_json()["ended"] is True
