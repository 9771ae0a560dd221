"""POST /api/v1/channels/webhook: signed inbound messages, routed, continued, deduplicated, answered."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Callable

import pytest
from flows import SUPPORT

from runtime.messaging.signing import sign, verify
from runtime.sessions.sqlite import shard_path

URL = "/api/v1/channels/webhook"
SECRET = "webhook-secret-for-tests"

FALLBACK = {
    "schema": "callwright/flow@1", "id": "fallback", "start": "sorry",
    "blocks": {"sorry": {"type": "end", "config": {"text": "Nobody answers here.",
                                                   "disposition": "unrouted"}}},
}


def settings(gateway_url: str, *, secret: bool = True, url: bool = True) -> str:
    """Return a callwright.toml with the webhook secret and URL, an immediate queue and loopback."""
    text = "[tasks]\nimmediate = true\n[http]\nallow = [\"127.0.0.0/8\"]\n[webhooks]\n"
    if secret:
        text += f'secret = "{SECRET}"\n'
    if url:
        text += f'url = "{gateway_url.rsplit("/", 1)[0]}/hook"\n'
    return text


@pytest.fixture
def make_app(workspace_app, gateway) -> Callable:
    """Return a maker of apps over a workspace routing `support` (and maybe `*`) on the webhook."""
    def make(fallback: bool = True, **options) -> object:
        table = {"support": "support", **({"*": "fallback"} if fallback else {})}
        return workspace_app(SUPPORT, FALLBACK,
                             routes={"schema": "callwright/routes@1", "webhook": table},
                             toml=settings(gateway.url, **options))
    return make


@pytest.fixture
def app(make_app):
    """Return an app with the secret and the outbound URL configured."""
    return make_app()


def post(client, message: dict | bytes, *, secret: str = SECRET, stamp: int | None = None,
         header: str | None = "sign", content_type: str = "application/json"):
    """POST a message, signed (or as told), exactly as a messenger adapter would."""
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    headers = {}
    if header == "sign":
        headers["X-Callwright-Signature"] = sign(secret, raw, stamp)
    elif header is not None:
        headers["X-Callwright-Signature"] = header
    return client.post(URL, data=raw, headers=headers, content_type=content_type)


def sessions_in(app) -> int:
    """Return how many sessions the app's SQLite session store holds, in all its shard files."""
    store = app.extensions["callwright.runtime"].sessions
    total = 0
    for index in range(store.shards):
        with closing(sqlite3.connect(shard_path(Path(store.path), index))) as conn:
            total += conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    return total


def error_of(response) -> dict:
    """Return the error object of an error envelope."""
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def texts(gateway) -> list[str]:
    """Return the texts the gateway received, in order."""
    return [json.loads(r["body"])["text"] for r in gateway.requests]


HELLO = {"id": "m-1", "from": "tg:4711", "to": "support", "text": "hello"}


# --- signatures ------------------------------------------------------------------------------

@pytest.mark.parametrize("how, says", [
    ({"header": None}, "has no X-Callwright-Signature header"),
    ({"header": "t=1,v1=nothex"}, "malformed"),
    ({"secret": "not-the-secret"}, "does not match"),
    ({"stamp": int(time.time()) - 301}, "s old"),
    ({"stamp": int(time.time()) + 3600}, "in the future"),
])
def test_a_bad_old_or_missing_signature_is_refused_and_nothing_happens(app, gateway, how, says):
    response = post(app.test_client(), HELLO, **how)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "bad_signature" and says in error["message"]
    assert sessions_in(app) == 0
    assert gateway.requests == []


def test_a_body_changed_after_signing_is_refused(app, gateway):
    raw = json.dumps(HELLO).encode()
    header = sign(SECRET, raw)
    tampered = raw.replace(b"hello", b"HELLO")
    response = post(app.test_client(), tampered, header=header)
    assert response.status_code == 401
    assert sessions_in(app) == 0 and gateway.requests == []


def test_the_raw_bytes_are_verified_not_a_re_serialisation(app):
    raw = b'{ "from" : "tg:1",\n  "to": "support", "text": "spaced out" }'
    response = post(app.test_client(), raw)
    assert response.status_code == 200


def test_without_a_secret_the_channel_is_off_and_says_how_to_turn_it_on(make_app, gateway):
    app = make_app(secret=False)
    response = post(app.test_client(), HELLO, secret="anything")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "webhooks_not_configured"
    assert "[webhooks] secret" in error["message"] and "CALLWRIGHT_WEBHOOKS_SECRET" in error["message"]
    assert sessions_in(app) == 0


# --- the body --------------------------------------------------------------------------------

@pytest.mark.parametrize("body, pointers", [
    ([], [""]),
    ({}, ["/from", "/to", "/text"]),
    ({"from": 1, "to": "support", "text": "x"}, ["/from"]),
    ({"from": "a", "to": " ", "text": "x"}, ["/to"]),
    ({"from": "a", "to": "support", "text": "x" * 4001}, ["/text"]),
    ({"id": "", "from": "a", "to": "support", "text": "x"}, ["/id"]),
    ({"from": "a", "to": "support", "text": "x", "channel": "sms"}, ["/channel"]),
])
def test_a_signed_but_wrong_body_is_refused_naming_the_fields(app, body, pointers):
    response = post(app.test_client(), body)
    assert response.status_code == 400
    assert [d["pointer"] for d in error_of(response)["details"]] == pointers
    assert sessions_in(app) == 0


def test_a_signed_body_that_is_not_json_is_refused(app):
    assert post(app.test_client(), b"text=hi", content_type="text/plain").status_code == 415
    response = post(app.test_client(), b"{")
    assert response.status_code == 400 and "not valid JSON" in error_of(response)["message"]


# --- routing and conversations ---------------------------------------------------------------

def test_a_message_starts_a_session_of_the_routed_flow_and_its_replies_go_out_signed(app, gateway):
    response = post(app.test_client(), HELLO)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"session", "replies", "ended", "duplicate"}
    assert (body["ended"], body["duplicate"]) == (False, False)
    assert [r["event"] for r in body["replies"]] == ["say", "ask"]
    assert texts(gateway) == ["Hi, you wrote: hello", "Balance or bye?\nReply 1 for Balance\nReply 9 for Bye"]
    for index, request in enumerate(gateway.requests, start=1):
        assert request["path"] == "/hook"
        verify(SECRET, request["headers"]["x-callwright-signature"], request["body"])
        message = json.loads(request["body"])
        assert (message["from"], message["to"]) == ("support", "tg:4711")
        assert message["id"] == request["headers"]["idempotency-key"] == f"{body['session']}.1.reply.{index}"


def test_the_next_message_from_the_contact_continues_the_conversation(app, gateway):
    client = app.test_client()
    first = post(client, HELLO).get_json()
    second = post(client, {"id": "m-2", "from": "tg:4711", "to": "support", "text": "balance"}).get_json()
    assert second["session"] == first["session"]
    assert texts(gateway)[2:] == ["Your balance is 42.00 EUR.",
                                  "Balance or bye?\nReply 1 for Balance\nReply 9 for Bye"]
    last = post(client, {"id": "m-3", "from": "tg:4711", "to": "support", "text": "9"}).get_json()
    assert (last["session"], last["ended"]) == (first["session"], True)
    again = post(client, {"id": "m-4", "from": "tg:4711", "to": "support", "text": "hi again"}).get_json()
    assert again["session"] != first["session"]  # the conversation ended: a new one starts


def test_another_contact_has_a_conversation_of_their_own(app):
    client = app.test_client()
    first = post(client, HELLO).get_json()
    other = post(client, {**HELLO, "id": "m-9", "from": "tg:9"}).get_json()
    assert other["session"] != first["session"]
    assert sessions_in(app) == 2


def test_an_unrouted_address_takes_the_fallback(app, gateway):
    body = post(app.test_client(), {**HELLO, "to": "elsewhere"}).get_json()
    assert body["ended"] is True
    assert texts(gateway) == ["Nobody answers here."]


def test_without_a_route_or_fallback_the_message_is_not_found_and_changes_nothing(make_app, gateway):
    app = make_app(fallback=False)
    response = post(app.test_client(), {**HELLO, "to": "elsewhere"})
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "no_route" and "'elsewhere'" in error["message"]
    assert sessions_in(app) == 0 and gateway.requests == []


def test_without_an_outbound_url_the_message_is_refused_naming_the_setting(make_app, gateway):
    app = make_app(url=False)
    response = post(app.test_client(), HELLO)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_configured" and "[webhooks] url" in error["message"]
    assert sessions_in(app) == 0


# --- redelivery ------------------------------------------------------------------------------

def test_a_redelivered_message_id_answers_200_and_causes_nothing(app, gateway):
    client = app.test_client()
    first = post(client, HELLO).get_json()
    sent = len(gateway.requests)
    again = post(client, {**HELLO, "text": "hello"})  # the same message, signed again later
    assert again.status_code == 200
    assert again.get_json() == {"session": first["session"], "replies": [], "ended": False,
                                "duplicate": True}
    assert len(gateway.requests) == sent
    session = app.extensions["callwright.runtime"].sessions.get(first["session"])
    assert session.turns == 1
    assert sessions_in(app) == 1


def test_messages_without_an_id_signed_apart_are_each_taken(app):
    client = app.test_client()
    message = {key: value for key, value in HELLO.items() if key != "id"}
    now = int(time.time())
    first = post(client, message, stamp=now - 1).get_json()
    second = post(client, message, stamp=now).get_json()
    assert second["session"] == first["session"] and second["duplicate"] is False
    assert app.extensions["callwright.runtime"].sessions.get(first["session"]).turns == 2


def test_a_signed_request_without_an_id_replayed_in_its_window_runs_nothing(app, gateway):
    client = app.test_client()
    raw = json.dumps({key: value for key, value in HELLO.items() if key != "id"}).encode()
    headers = {"X-Callwright-Signature": sign(SECRET, raw)}
    first = client.post(URL, data=raw, headers=headers, content_type="application/json")
    sent = len(gateway.requests)
    replayed = client.post(URL, data=raw, headers=headers, content_type="application/json")
    assert replayed.status_code == 200
    assert replayed.get_json() == {"session": first.get_json()["session"], "replies": [],
                                   "ended": False, "duplicate": True}
    assert len(gateway.requests) == sent
    assert app.extensions["callwright.runtime"].sessions.get(
        first.get_json()["session"]).turns == 1


def test_the_same_message_id_from_two_senders_is_two_messages(app):
    client = app.test_client()
    mine = post(client, {**HELLO, "id": "1"}).get_json()
    theirs = post(client, {**HELLO, "id": "1", "from": "visitor-9"}).get_json()
    assert theirs["duplicate"] is False and theirs["session"] != mine["session"]
    again = post(client, {**HELLO, "id": "1", "from": "visitor-9"}).get_json()
    assert again["duplicate"] is True and again["session"] == theirs["session"]


def test_a_message_whose_turn_failed_is_taken_when_redelivered(app, gateway, monkeypatch):
    runtime = app.extensions["callwright.runtime"]
    client = app.test_client()
    real = runtime.begin

    async def broken(*args, **kwargs):
        """Fail as a full disk would, before the session is saved."""
        raise OSError("disk full")
    monkeypatch.setattr(runtime, "begin", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert post(client, HELLO).status_code == 500
    monkeypatch.setattr(runtime, "begin", real)
    retry = post(client, HELLO).get_json()
    assert retry["duplicate"] is False and retry["session"]
    assert len(gateway.requests) == 2


def test_the_response_matches_the_documented_schema(app):
    from jsonschema import Draft202012Validator

    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/InboundTurn", "components": spec["components"]}
    for body in (post(client, HELLO).get_json(), post(client, HELLO).get_json()):
        assert list(Draft202012Validator(schema).iter_errors(body)) == []
