"""POST /api/v1/flows/<id>/executions on voice: a queued call, placed on a free port, then run."""

from __future__ import annotations

import json
import time
from typing import Callable

import pytest

from runtime.messaging.signing import verify

TOKEN = "api-token-0123456789abcdef"
SECRET = "webhook-secret-for-tests"
CONTACT = "+4915112345678"
LINE = "+4930123456"

ROUTES = {"schema": "callwright/routes@1", "voice": {LINE: "reminder"}}
SAYS_YES = [{"name": "yes", "actions": [{"digits": "1", "after_s": 0.5}]}]


def settings(gateway_url: str, *, callers: list | None = None, ports: int = 4,
             immediate: bool = True, port_wait_s: float = 600) -> str:
    """Return a callwright.toml: tokens, signed callbacks, emulated ports running 50x fast."""
    return f"""
[webhooks]
secret = "{SECRET}"
[api]
tokens = ["{TOKEN}"]
[tasks]
immediate = {str(immediate).lower()}
retries = 0
[http]
allow = ["127.0.0.0/8"]
[voice]
ports = {ports}
speed = 50
port_wait_s = {port_wait_s}
{'callers = "callers.json"' if callers is not None else ''}
"""


@pytest.fixture
def make_app(workspace_app, gateway, reminder_flow) -> Callable:
    """Return app(callers=..., ports=...) over a workspace with the reminder flow."""
    def make(*, callers: list | None = SAYS_YES, **options) -> object:
        app = workspace_app(reminder_flow, routes=ROUTES,
                            toml=settings(gateway.url, callers=callers, **options))
        if callers is not None:
            root = app.extensions["callwright.runtime"].workspace.root
            (root / "callers.json").write_text(json.dumps(callers), "utf-8")
        return app
    return make


def queue_of(app):
    """Return the task queue of an app's runtime."""
    return app.extensions["callwright.runtime"].queue


def start(client, **body):
    """POST a voice execution of the reminder flow with the API token."""
    return client.post("/api/v1/flows/reminder/executions", json={"channel": "voice", **body},
                       headers={"Authorization": f"Bearer {TOKEN}"})


def execution(client, execution_id: str) -> dict:
    """GET an execution."""
    response = client.get(f"/api/v1/executions/{execution_id}",
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.get_json()


def until_ended(client, execution_id: str, timeout: float = 20.0, steps: int = 0) -> dict:
    """Poll an execution until it has ended and shows `steps` steps (they follow within 0.2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        found = execution(client, execution_id)
        if found["status"] == "ended" and len(found["steps"]) >= steps:
            return found
        assert time.monotonic() < deadline, f"the call did not end: {found['status']}"
        time.sleep(0.02)


def test_a_voice_execution_is_queued_then_called_and_the_flow_runs_when_the_contact_answers(
        make_app):
    client = make_app().test_client()
    response = start(client, to=CONTACT, vars={"order": "A-1042"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["replies"] == [] and body["disposition"] is None
    assert response.headers["Location"] == f"/api/v1/executions/{body['execution']}"
    ended = until_ended(client, body["execution"], steps=2)
    assert ended["channel"] == "voice" and ended["disposition"] == "confirmed"
    assert [(s["block"], s["exit"]) for s in ended["steps"]] == [("ask", "yes"),
                                                                 ("confirmed", None)]
    assert ended["steps"][0]["changes"] == []


def test_the_call_comes_from_the_flows_line_and_the_contact_is_the_dialled_number(make_app):
    app = make_app()
    client = app.test_client()
    execution_id = start(client, to=CONTACT).get_json()["execution"]
    until_ended(client, execution_id)
    session = app.extensions["callwright.runtime"].sessions.get(execution_id)
    assert (session.contact["from"], session.contact["to"]) == (CONTACT, LINE)
    # the dialled number is the contact's identity: the call is on their timeline
    app.extensions["callwright.runtime"].contacts.flush()  # entries go behind the turn
    contacts = app.extensions["callwright.runtime"].contacts.store
    assert contacts.find("phone", CONTACT) == session.contact["id"] is not None
    assert contacts.timeline(session.contact["id"])[0]["text"] == "confirmed"
    assert session.trigger == {"channel": "voice", "from": LINE, "to": CONTACT, "text": None,
                               "direction": "outbound"}


@pytest.mark.parametrize("answer", ["busy", "noanswer", "failed"])
def test_a_call_that_does_not_connect_ends_with_the_dial_result_and_calls_back(
        make_app, gateway, answer):
    client = make_app(callers=[{"answer": answer, "answer_after_s": 60}]).test_client()
    base = gateway.url.rsplit("/", 1)[0]
    execution_id = start(client, to=CONTACT, callback_url=f"{base}/status").get_json()["execution"]
    ended = until_ended(client, execution_id)
    assert ended["disposition"] == answer and ended["steps"] == []
    deadline = time.monotonic() + 10
    while not gateway.requests:
        assert time.monotonic() < deadline, "no status callback came"
        time.sleep(0.02)
    (callback,) = gateway.requests
    verify(SECRET, callback["headers"]["x-callwright-signature"], callback["body"])
    sent = json.loads(callback["body"])
    assert (sent["execution"], sent["status"], sent["disposition"]) == (execution_id, "ended",
                                                                        answer)


def test_with_every_port_busy_a_queued_call_waits_for_one_and_runs_after(make_app, drain):
    # one port; the first callee listens in silence through the menu's retries, the second
    # says yes: the second call can only start once the first has hung up
    callers = [{"name": "silent", "then": "silence"}, *SAYS_YES]
    app = make_app(callers=callers, ports=1, immediate=False)
    client, queue = app.test_client(), queue_of(app)
    first = start(client, to=CONTACT).get_json()["execution"]
    second = start(client, to="+4915199999999").get_json()["execution"]
    drain(queue, lambda: execution(client, second)["status"] == "ended", timeout=30)
    assert execution(client, first)["status"] == "ended"
    assert execution(client, second)["disposition"] == "confirmed"


def test_a_call_that_finds_no_free_port_in_time_ends_no_free_port(make_app, drain):
    app = make_app(callers=[{"then": "silence"}], ports=1, immediate=False, port_wait_s=0)
    client, queue = app.test_client(), queue_of(app)
    first = start(client, to=CONTACT).get_json()["execution"]
    second = start(client, to="+4915199999999").get_json()["execution"]
    drain(queue, lambda: execution(client, second)["status"] == "ended", timeout=30)
    assert execution(client, second)["disposition"] == "no_free_port"
    drain(queue, lambda: execution(client, first)["status"] == "ended", timeout=30)


def test_a_call_task_that_runs_twice_places_one_call(make_app, drain):
    app = make_app(immediate=False)
    client, queue = app.test_client(), queue_of(app)
    execution_id = start(client, to=CONTACT).get_json()["execution"]
    place_call = queue.lines.tasks["place_call"]
    assert place_call.call_local(execution_id) not in ("skipped", "missing")
    assert place_call.call_local(execution_id) == "skipped"
    drain(queue, lambda: execution(client, execution_id)["status"] == "ended")  # the queued copy too
    assert execution(client, execution_id)["disposition"] == "confirmed"
