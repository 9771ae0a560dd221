"""POST /api/v1/flows/<id>/executions and GET /api/v1/executions/<id>: flows started from outside."""

from __future__ import annotations

import json
import time
from typing import Callable

import pytest
from jsonschema import Draft202012Validator

from runtime.messaging.signing import sign, verify

TOKEN = "api-token-0123456789abcdef"
SECRET = "webhook-secret-for-tests"
CONTACT = "+4915112345678"
OURS = "+4930999000"
# a caller from another machine: from this one, a server without users takes anyone as its admin
OUTSIDE = {"REMOTE_ADDR": "192.0.2.7"}

NOTICE = {
    "schema": "callwright/flow@1", "id": "notice", "start": "tell",
    "blocks": {"tell": {"type": "say", "config": {"text": "Your parcel ships today."},
                        "exits": {"next": "done"}},
               "done": {"type": "end", "config": {}}},
}
ROUTES = {"schema": "callwright/routes@1", "webhook": {"shop": "reminder"},
          "sms": {OURS: "reminder"}}


def settings(gateway_url: str, *, tokens: bool = True, sms: bool = True,
             immediate: bool = True) -> str:
    """Return a callwright.toml: gateway, secret, immediate queue, loopback allowed, API tokens."""
    base = gateway_url.rsplit("/", 1)[0]
    text = f"""
[webhooks]
secret = "{SECRET}"
url = "{base}/hook"
[tasks]
immediate = {str(immediate).lower()}
retries = 1
retry_delay_s = 0
[http]
allow = ["127.0.0.0/8"]
"""
    if sms:
        text += f'[sms]\ngateway = "{gateway_url}"\nfrom = "{OURS}"\n'
    if tokens:
        text += f'[api]\ntokens = ["{TOKEN}", "second-token-abcdefghijkl"]\n'
    return text


@pytest.fixture
def make_app(workspace_app, gateway, reminder_flow) -> Callable:
    """Return a maker of apps over a workspace with the reminder and notice flows."""
    return lambda **options: workspace_app(reminder_flow, NOTICE, routes=ROUTES,
                                           toml=settings(gateway.url, **options))


@pytest.fixture
def client(make_app):
    """Return a test client of an app with API tokens, SMS and webhooks configured."""
    return make_app().test_client()


def queue_of(app):
    """Return the task queue of an app's runtime."""
    return app.extensions["callwright.runtime"].queue


def auth(token: str = TOKEN) -> dict:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def start(client, flow: str = "reminder", **body):
    """POST an execution with the API token."""
    return client.post(f"/api/v1/flows/{flow}/executions", json=body, headers=auth())


def error_of(response) -> dict:
    """Return the error object of an error envelope."""
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def spec_errors(client, name: str, instance: object) -> list[str]:
    """Return the errors of an instance against a component schema of the served OpenAPI document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


# --- authentication --------------------------------------------------------------------------

def test_without_configured_tokens_the_endpoint_is_off_and_says_how_to_turn_it_on(make_app):
    client = make_app(tokens=False).test_client()
    response = start(client, channel="sms", to=CONTACT)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "api_tokens_not_configured"
    assert "[api] tokens" in error["message"] and "CALLWRIGHT_API_TOKENS" in error["message"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}])
def test_a_request_without_a_bearer_token_is_unauthorized(client, gateway, headers):
    response = client.post("/api/v1/flows/reminder/executions",
                           json={"channel": "sms", "to": CONTACT}, headers=headers,
                           environ_base=OUTSIDE)
    assert response.status_code == 401
    assert error_of(response)["code"] == ("sign_in_required" if not headers else "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert gateway.requests == []


@pytest.mark.parametrize("token", ["wrong-token-0123456789abcd", TOKEN[:-1], TOKEN + "x"])
def test_a_wrong_token_is_unauthorized_and_starts_nothing(client, gateway, token):
    response = client.post("/api/v1/flows/reminder/executions",
                           json={"channel": "sms", "to": CONTACT}, headers=auth(token))
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert gateway.requests == []


def test_every_configured_token_is_accepted(client):
    response = client.post("/api/v1/flows/notice/executions", json={"channel": "chat", "to": "v-1"},
                           headers=auth("second-token-abcdefghijkl"))
    assert response.status_code == 202


def test_reading_an_execution_needs_the_token_too(client):
    execution = start(client, "notice", channel="chat", to="v-1").get_json()["execution"]
    assert client.get(f"/api/v1/executions/{execution}", environ_base=OUTSIDE).status_code == 401
    assert client.get(f"/api/v1/executions/{execution}", headers=auth()).status_code == 200


# --- the request body ------------------------------------------------------------------------

@pytest.mark.parametrize("body, pointers", [
    ([], [""]),
    ({}, ["/channel", "/to"]),
    ({"channel": "fax", "to": CONTACT}, ["/channel"]),
    ({"channel": "sms", "to": 4915112345678}, ["/to"]),
    ({"channel": "sms", "to": "0151 1234"}, ["/to"]),
    ({"channel": "webhook", "to": "   "}, ["/to"]),
    ({"channel": "chat", "to": "v" * 257}, ["/to"]),
    ({"channel": "sms", "to": CONTACT, "from": ""}, ["/from"]),
    ({"channel": "sms", "to": CONTACT, "vars": [1]}, ["/vars"]),
    ({"channel": "sms", "to": CONTACT, "callback_url": "ftp://crm.example.com/x"}, ["/callback_url"]),
    ({"channel": "sms", "to": CONTACT, "callback_url": 7}, ["/callback_url"]),
    ({"channel": "sms", "to": CONTACT, "text": "hi"}, ["/text"]),
])
def test_a_bad_body_is_refused_naming_every_wrong_field(client, gateway, body, pointers):
    response = client.post("/api/v1/flows/reminder/executions", json=body, headers=auth())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert [d["pointer"] for d in error["details"]] == pointers
    assert gateway.requests == []


def test_the_request_schema_agrees_with_the_server(client):
    for body in ({"channel": "chat", "to": "v-1"}, {"channel": "fax", "to": "v-1"},
                 {"channel": "chat", "to": "v-1", "vars": {"a": 1}, "from": "web"},
                 {"channel": "chat", "to": "v-1", "callback_url": "no url"},
                 {"channel": "chat", "to": ""}, {"channel": "chat"}, {"channel": "chat", "to": "v", "x": 1}):
        accepted = client.post("/api/v1/flows/notice/executions", json=body,
                               headers=auth()).status_code != 400
        assert (spec_errors(client, "ExecutionRequest", body) == []) is accepted, body


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post("/api/v1/flows/reminder/executions", data="channel=sms",
                           headers={**auth(), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    response = client.post("/api/v1/flows/reminder/executions", data="{",
                           headers={**auth(), "Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in error_of(response)["message"]


def test_an_unknown_flow_is_not_found(client):
    response = start(client, "nope", channel="sms", to=CONTACT)
    assert response.status_code == 404
    assert error_of(response)["code"] == "flow_not_found"

def test_sms_without_a_gateway_is_refused_naming_the_setting_and_sends_nothing(make_app, gateway):
    client = make_app(sms=False).test_client()
    response = start(client, channel="sms", to=CONTACT)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_configured"
    assert "[sms] gateway" in error["message"] and "CALLWRIGHT_SMS_GATEWAY" in error["message"]
    assert gateway.requests == []

# --- running an execution --------------------------------------------------------------------

def test_an_sms_execution_sends_its_first_reply_to_the_contact_signed(client, gateway):
    response = start(client, channel="sms", to=CONTACT, vars={"order": "A-1042"})
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"execution", "status", "disposition", "replies"}
    assert (body["status"], body["disposition"]) == ("waiting", None)
    assert response.headers["Location"] == f"/api/v1/executions/{body['execution']}"
    assert spec_errors(client, "Execution", body) == []
    [request] = gateway.requests
    assert request["path"] == "/messages"
    verify(SECRET, request["headers"]["x-callwright-signature"], request["body"])
    assert json.loads(request["body"]) == {
        "id": f"{body['execution']}.1.reply.1", "from": OURS, "to": CONTACT,
        "text": "Order A-1042 is ready. Collect today?\nReply 1 for Yes\nReply 2 for No"}
    assert request["headers"]["idempotency-key"] == f"{body['execution']}.1.reply.1"

def test_a_webhook_execution_sends_from_the_flows_own_route(client, gateway):
    body = start(client, channel="webhook", to="tg:4711").get_json()
    [request] = gateway.requests
    assert request["path"] == "/hook"
    message = json.loads(request["body"])
    assert (message["from"], message["to"]) == ("shop", "tg:4711")
    assert message["id"] == f"{body['execution']}.1.reply.1"

def test_a_chat_execution_returns_its_replies_and_the_visitor_goes_on_in_the_chat_api(client,
                                                                                     gateway):
    body = start(client, channel="chat", to="visitor-7", vars={"order": "B-7"}).get_json()
    assert [r["prompt"] for r in body["replies"] if r["event"] == "ask"] == [
        "Order B-7 is ready. Collect today?"]
    assert body["replies"][-1]["quick_replies"] == ["Yes", "No"]
    assert gateway.requests == []  # chat replies are fetched, not pushed through a gateway
    turn = client.post("/api/v1/chat/reminder/messages",
                       json={"session": body["execution"], "text": "yes"}).get_json()
    assert turn["ended"] is True
    assert [r["text"] for r in turn["replies"] if r["event"] == "say"] == ["See you today."]

def test_a_reply_from_the_contact_continues_the_outbound_session(client, gateway):
    execution = start(client, channel="webhook", to="tg:4711").get_json()["execution"]
    raw = json.dumps({"id": "tg-msg-1", "from": "tg:4711", "to": "shop", "text": "1"}).encode()
    response = client.post("/api/v1/channels/webhook", data=raw, content_type="application/json",
                           headers={"X-Callwright-Signature": sign(SECRET, raw)})
    assert response.status_code == 200
    turn = response.get_json()
    assert (turn["session"], turn["ended"]) == (execution, True)
    assert [json.loads(r["body"])["text"] for r in gateway.requests][1:] == ["See you today."]
    status = client.get(f"/api/v1/executions/{execution}", headers=auth()).get_json()
    assert (status["status"], status["disposition"]) == ("ended", "confirmed")

def test_an_sms_answer_taken_by_the_runtime_continues_the_outbound_sms_session(make_app, gateway):
    app = make_app()
    execution = start(app.test_client(), channel="sms", to=CONTACT).get_json()["execution"]
    runtime = app.extensions["callwright.runtime"]
    turn = runtime.inbound("sms", CONTACT, OURS, "2", "sms-1")
    assert (turn["session"], turn["ended"]) == (execution, True)
    assert json.loads(gateway.requests[-1]["body"])["text"] == "We keep it for you."
    other = runtime.inbound("sms", "+4915199999999", OURS, "hello", "sms-2")
    assert other["session"] != execution  # another contact: a conversation of its own

def test_the_status_callback_is_posted_signed_when_the_session_ends(client, gateway):
    base = gateway.url.rsplit("/", 1)[0]
    body = start(client, "notice", channel="sms", to=CONTACT,
                 callback_url=f"{base}/status?crm=1").get_json()
    assert (body["status"], body["disposition"]) == ("ended", "completed")
    message, callback = gateway.requests
    assert json.loads(message["body"])["text"] == "Your parcel ships today."
    assert callback["path"] == "/status?crm=1"
    verify(SECRET, callback["headers"]["x-callwright-signature"], callback["body"])
    sent = json.loads(callback["body"])
    assert set(sent) == {"execution", "flow", "status", "disposition", "at"}
    assert (sent["execution"], sent["flow"], sent["status"], sent["disposition"]) == (
        body["execution"], "notice", "ended", "completed")
    assert abs(sent["at"] - time.time()) < 60
    assert callback["headers"]["idempotency-key"] == f"{body['execution']}.1.callback"
    assert spec_errors(client, "StatusCallback", sent) == []

def test_a_callback_follows_every_turn_until_the_end(client, gateway):
    base = gateway.url.rsplit("/", 1)[0]
    execution = start(client, channel="webhook", to="tg:9",
                      callback_url=f"{base}/status").get_json()["execution"]
    raw = json.dumps({"from": "tg:9", "to": "shop", "text": "No"}).encode()
    client.post("/api/v1/channels/webhook", data=raw, content_type="application/json",
                headers={"X-Callwright-Signature": sign(SECRET, raw)})
    callbacks = [json.loads(r["body"]) for r in gateway.requests if r["path"] == "/status"]
    assert [(c["status"], c["disposition"]) for c in callbacks] == [("waiting", None),
                                                                   ("ended", "declined")]
    keys = [r["headers"]["idempotency-key"] for r in gateway.requests if r["path"] == "/status"]
    assert keys == [f"{execution}.1.callback", f"{execution}.2.callback"]

def test_a_callback_to_a_refused_address_fails_in_the_ledger_not_the_request(make_app, gateway):
    app = make_app()
    client = app.test_client()
    body = start(client, "notice", channel="chat", to="v-1",
                 callback_url="http://169.254.169.254/latest").get_json()
    assert body["status"] == "ended"  # the turn happened; the callback is the queue's business
    row = queue_of(app).ledger.get(f"{body['execution']}.1.callback")
    assert row["state"] == "failed" and "link-local" in row["last_error"]

def test_get_execution_shows_status_and_steps(client):
    execution = start(client, channel="chat", to="visitor-7").get_json()["execution"]
    client.post("/api/v1/chat/reminder/messages", json={"session": execution, "text": "1"})
    response = client.get(f"/api/v1/executions/{execution}", headers=auth())
    assert response.status_code == 200
    status = response.get_json()
    assert {k: status[k] for k in ("execution", "flow", "channel", "status", "disposition")} == {
        "execution": execution, "flow": "reminder", "channel": "chat", "status": "ended",
        "disposition": "confirmed"}
    assert [(s["turn"], s["block"], s["exit"]) for s in status["steps"]] == [
        (1, "ask", None), (2, "ask", "yes"), (2, "confirmed", None)]
    assert spec_errors(client, "ExecutionStatus", status) == []

def test_an_unknown_execution_is_not_found(client):
    response = client.get("/api/v1/executions/nope", headers=auth())
    assert response.status_code == 404
    assert error_of(response)["code"] == "execution_not_found"

def test_an_execution_id_no_session_can_have_is_not_found_on_either_database(
        workspace_app, reminder_flow, records_url):
    app = workspace_app(reminder_flow, toml=f'[api]\ntokens = ["{TOKEN}"]\n'
                                            f'[storage]\ndatabase_url = "{records_url}"\n')
    response = app.test_client().get("/api/v1/executions/a%00b", headers=auth())
    assert response.status_code == 404, response.get_data(True)
    assert error_of(response)["code"] == "execution_not_found"


def test_with_a_real_queue_the_answer_comes_first_and_a_worker_delivers(make_app, gateway):
    app = make_app(immediate=False)
    client = app.test_client()
    queue = queue_of(app)
    body = start(client, channel="sms", to=CONTACT).get_json()
    assert gateway.requests == []  # queued in the workspace's SQLite queue, not sent yet
    key = f"{body['execution']}.1.reply.1"
    deadline = time.monotonic() + 20
    while (queue.ledger.get(key) or {}).get("state") != "delivered":
        assert time.monotonic() < deadline, "the queued reply was not delivered"
        task = queue.huey.dequeue()  # what `callwright worker` does
        if task is not None:
            queue.huey.execute(task)
    assert [r["headers"]["idempotency-key"] for r in gateway.requests] == [key]
