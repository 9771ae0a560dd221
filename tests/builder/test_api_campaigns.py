"""POST /api/v1/campaigns, GET /api/v1/campaigns/<id>, POST .../cancel: flows for contact lists."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from jsonschema import Draft202012Validator


TOKEN = "campaign-token-0123456789ab"
SECRET = "webhook-secret-for-campaigns"
OURS = "+4930999000"
CONTACTS = ["+4915100000001", "+4915100000002", "+4915100000003"]

ROUTES = {"schema": "callwright/routes@1", "sms": {OURS: "reminder"}}


def settings(gateway_url: str, *, tokens: bool = True) -> str:
    """Return a callwright.toml: SMS gateway, secret, immediate queue, loopback allowed, tokens."""
    text = f"""
[webhooks]
secret = "{SECRET}"
[tasks]
immediate = true
retries = 1
retry_delay_s = 0
[http]
allow = ["127.0.0.0/8"]
[sms]
gateway = "{gateway_url}"
from = "{OURS}"
"""
    if tokens:
        text += f'[api]\ntokens = ["{TOKEN}"]\n'
    return text


@pytest.fixture
def make_app(workspace_app, gateway, reminder_flow) -> Callable:
    """Return a maker of apps over a workspace with the reminder flow routed on SMS."""
    return lambda **options: workspace_app(reminder_flow, routes=ROUTES,
                                           toml=settings(gateway.url, **options))


@pytest.fixture
def client(make_app):
    """Return a test client of an app with API tokens and SMS configured."""
    return make_app().test_client()


def auth(token: str = TOKEN) -> dict:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def body(**fields) -> dict:
    """Return a campaign request over the three contacts, changed by `fields`."""
    request = {"flow": "reminder", "channel": "sms", "concurrency": 2,
               "contacts": [{"to": to, "vars": {"order": f"A-{i}"}}
                            for i, to in enumerate(CONTACTS)]}
    request.update(fields)
    return {k: v for k, v in request.items() if v is not None}


def launch(client, request: dict):
    """POST a campaign with the API token."""
    return client.post("/api/v1/campaigns", json=request, headers=auth())


def error_of(response) -> dict:
    """Return the error object of an error envelope."""
    answer = response.get_json()
    assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message", "details"}
    return answer["error"]


def spec_errors(client, name: str, instance: object) -> list[str]:
    """Return the errors of an instance against a component schema of the served document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


def huey_of(app):
    """Return the Huey instance of an app's task queue."""
    return app.extensions["callwright.runtime"].queue.huey


def run_scheduled_advances(app) -> int:
    """Run the campaign advances the queue holds for later, as a worker would when they fall due."""
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=8)
    huey = huey_of(app)
    due = huey.read_schedule(later)
    for task in due:
        huey.execute(task, later)
    return len(due)


def first_messages(gateway) -> dict[str, int]:
    """Return how many first messages (reply 1 of turn 1) each contact was sent."""
    counts: dict[str, int] = {}
    for key, message in gateway.delivered.items():
        if key.endswith(".1.reply.1"):
            counts[message["to"]] = counts.get(message["to"], 0) + 1
    return counts


# --- authentication --------------------------------------------------------------------------

def test_without_configured_tokens_campaigns_are_off(make_app, gateway):
    client = make_app(tokens=False).test_client()
    response = launch(client, body())
    assert response.status_code == 403
    assert error_of(response)["code"] == "api_tokens_not_configured"
    assert gateway.requests == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_every_campaign_endpoint_needs_the_token(client, gateway, headers):
    outside = {"REMOTE_ADDR": "192.0.2.7"}  # from this machine, no users make a local admin
    assert client.post("/api/v1/campaigns", json=body(), headers=headers,
                       environ_base=outside).status_code == 401
    assert client.get("/api/v1/campaigns/x", headers=headers, environ_base=outside).status_code == 401
    assert client.post("/api/v1/campaigns/x/cancel", headers=headers,
                       environ_base=outside).status_code == 401
    assert gateway.requests == []


# --- the request body ------------------------------------------------------------------------

@pytest.mark.parametrize("request_body, pointers", [
    ([], [""]),
    ({}, ["/flow", "/channel", "/concurrency", "/contacts"]),
    (body(channel="fax"), ["/channel"]),
    (body(concurrency=0), ["/concurrency"]),
    (body(concurrency=1001), ["/concurrency"]),
    (body(concurrency=True), ["/concurrency"]),
    (body(contacts=[]), ["/contacts"]),
    (body(contacts=[{"to": f"+49151{i:08d}"} for i in range(10001)]), ["/contacts"]),
    (body(contacts=[{"to": CONTACTS[0]}, {"to": CONTACTS[1]}, 7, {"to": "0151 123"}]),
     ["/contacts/2", "/contacts/3/to"]),
    (body(contacts=[{"vars": {}}, {"to": CONTACTS[1], "vars": [1], "text": "hi"}]),
     ["/contacts/0/to", "/contacts/1/vars", "/contacts/1/text"]),
    (body(window={"timezone": "Mars/Base", "start": "09:00", "end": "17:00"}),
     ["/window/timezone"]),
    (body(**{"from": ""}), ["/from"]),
    (body(extra=1), ["/extra"]),
])
def test_a_bad_body_is_refused_naming_every_wrong_field(client, gateway, request_body, pointers):
    response = launch(client, request_body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert [d["pointer"] for d in error["details"]] == pointers
    assert gateway.requests == []


def test_the_request_schema_agrees_with_the_server(client):
    window = {"timezone": "UTC", "start": "00:00", "end": "00:01", "days": ["sun"]}
    for request in (body(channel="webhook", concurrency=1, window=window), body(concurrency=0),
                    body(contacts=[{"to": "x", "y": 1}], channel="chat", window=window),
                    body(window={**window, "days": ["someday"]}), body(flow=None)):
        accepted = launch(client, request).status_code != 400
        assert (spec_errors(client, "CampaignRequest", request) == []) is accepted, request


def test_an_unknown_flow_is_not_found_and_nothing_is_sent(client, gateway):
    response = launch(client, body(flow="nope"))
    assert response.status_code == 404
    assert error_of(response)["code"] == "flow_not_found"
    assert gateway.requests == []


def test_a_voice_campaign_calls_each_contact_on_the_emulated_ports_within_its_concurrency(
        workspace_app, gateway, reminder_flow):
    toml = settings(gateway.url) + "[voice]\nports = 4\nspeed = 50\ncallers = \"callers.json\"\n"
    app = workspace_app(reminder_flow, routes={**ROUTES, "voice": {OURS: "reminder"}}, toml=toml)
    runtime = app.extensions["callwright.runtime"]
    (runtime.workspace.root / "callers.json").write_text(json.dumps(
        [{"actions": [{"digits": "1"}]}, {"actions": [{"digits": "2"}]}]), "utf-8")
    client = app.test_client()
    response = launch(client, body(channel="voice"))
    assert response.status_code == 202
    campaign = response.get_json()["campaign"]
    deadline = time.monotonic() + 30
    while True:
        status = client.get(f"/api/v1/campaigns/{campaign}", headers=auth()).get_json()
        assert status["counts"]["started"] <= 2  # the concurrency holds while calls run
        if status["status"] == "done":
            break
        assert time.monotonic() < deadline, f"the campaign did not finish: {status['counts']}"
        run_scheduled_advances(app)
        time.sleep(0.05)
    assert status["counts"] == {"pending": 0, "started": 0, "done": 3, "failed": 0}
    assert sorted(c["disposition"] for c in status["contacts"]) == ["confirmed", "confirmed",
                                                                   "declined"]
    for contact in status["contacts"]:
        session = runtime.sessions.get(contact["execution"])
        assert (session.channel, session.contact["from"]) == ("voice", contact["to"])
    assert gateway.requests == []  # calls, not messages


def test_an_unknown_campaign_is_not_found(client):
    for response in (client.get("/api/v1/campaigns/nope", headers=auth()),
                     client.post("/api/v1/campaigns/nope/cancel", headers=auth())):
        assert response.status_code == 404
        assert error_of(response)["code"] == "campaign_not_found"


# --- running a campaign ----------------------------------------------------------------------

def test_an_sms_campaign_sends_each_contact_its_first_message_once(make_app, gateway):
    app = make_app()
    client = app.test_client()
    response = launch(client, body())
    assert response.status_code == 202
    started = response.get_json()
    assert started["status"] == "running"
    assert response.headers["Location"] == f"/api/v1/campaigns/{started['campaign']}"
    assert spec_errors(client, "CampaignStarted", started) == []
    assert first_messages(gateway) == {CONTACTS[0]: 1, CONTACTS[1]: 1}  # concurrency 2
    assert run_scheduled_advances(app) == 1
    assert first_messages(gateway) == {CONTACTS[0]: 1, CONTACTS[1]: 1}  # both still talk

    runtime = app.extensions["callwright.runtime"]
    assert runtime.inbound("sms", CONTACTS[0], OURS, "1", "sms-1")["ended"] is True
    run_scheduled_advances(app)
    assert first_messages(gateway) == dict.fromkeys(CONTACTS, 1)
    first = json.loads(next(r["body"] for r in gateway.requests
                            if json.loads(r["body"])["to"] == CONTACTS[2]))
    assert first["text"].startswith("Order A-2 is ready.") and first["from"] == OURS

    runtime.inbound("sms", CONTACTS[1], OURS, "2", "sms-2")
    runtime.inbound("sms", CONTACTS[2], OURS, "1", "sms-3")
    run_scheduled_advances(app)
    assert run_scheduled_advances(app) == 0  # done: it stopped scheduling itself
    status = client.get(f"/api/v1/campaigns/{started['campaign']}", headers=auth()).get_json()
    assert spec_errors(client, "CampaignStatus", status) == []
    assert (status["status"], status["flow"]) == ("done", "reminder")
    assert status["counts"] == {"pending": 0, "started": 0, "done": 3, "failed": 0}
    assert [(c["to"], c["disposition"]) for c in status["contacts"]] == [
        (CONTACTS[0], "confirmed"), (CONTACTS[1], "declined"), (CONTACTS[2], "confirmed")]
    assert first_messages(gateway) == dict.fromkeys(CONTACTS, 1)


def test_a_cancelled_campaign_starts_no_more_contacts(make_app, gateway):
    app = make_app()
    client = app.test_client()
    campaign = launch(client, body(concurrency=1)).get_json()["campaign"]
    cancelled = client.post(f"/api/v1/campaigns/{campaign}/cancel", headers=auth())
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    app.extensions["callwright.runtime"].inbound("sms", CONTACTS[0], OURS, "1", "sms-1")
    run_scheduled_advances(app)
    assert first_messages(gateway) == {CONTACTS[0]: 1}
    status = client.get(f"/api/v1/campaigns/{campaign}", headers=auth()).get_json()
    assert status["counts"]["pending"] == 2 and status["status"] == "cancelled"


def test_a_campaign_outside_its_window_waits_for_the_opening(client, gateway):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    closed = {"timezone": "UTC", "start": (now + timedelta(hours=2)).strftime("%H:%M"),
              "end": (now + timedelta(hours=3)).strftime("%H:%M")}
    response = launch(client, body(window=closed))
    assert response.status_code == 202
    assert gateway.requests == []
    [task] = huey_of(client.application).read_schedule(now + timedelta(days=8))
    assert timedelta(hours=1, minutes=58) < task.eta - now <= timedelta(hours=2)


@pytest.mark.parametrize("zone", ["America", "Etc", "x" * 300])
def test_a_time_zone_that_names_a_folder_or_no_file_is_a_400(client, zone: str):
    window = {"timezone": zone, "start": "9am", "end": "17:00"}
    response = launch(client, body(window=window))
    assert response.status_code == 400
    pointers = [detail["pointer"] for detail in error_of(response)["details"]]
    assert pointers == ["/window/timezone", "/window/start"]
