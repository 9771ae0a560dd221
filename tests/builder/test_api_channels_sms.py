"""POST /api/v1/channels/sms: signed SMS in (JSON or form), numbers in E.164, STOP/START/HELP."""

from __future__ import annotations

import json
import time
from typing import Callable
from urllib.parse import urlencode

import pytest
from flows import SUPPORT
from sqlalchemy import select

from runtime.messaging.signing import sign, verify
from runtime.records.schema import deliveries

URL = "/api/v1/channels/sms"
SECRET = "webhook-secret-for-tests"
TOKEN = "api-token-0123456789abcdef"
OURS = "+4930999000"
CUSTOMER = "+4915112345678"

MENU = "Balance or bye?\nReply 1 for Balance\nReply 9 for Bye"


def settings(gateway_url: str, extra: str = "") -> str:
    """Return a callwright.toml: SMS gateway, secret, numbers read in Germany, immediate queue."""
    return (f'[sms]\ngateway = "{gateway_url}"\ndefault_region = "DE"\n{extra}\n'
            f'[webhooks]\nsecret = "{SECRET}"\n[tasks]\nimmediate = true\n'
            f'[http]\nallow = ["127.0.0.0/8"]\n[api]\ntokens = ["{TOKEN}"]\n')


@pytest.fixture
def make_app(workspace_app, gateway) -> Callable:
    """Return a maker of apps routing our number (and maybe `*`) to `support` on SMS."""
    def make(*, fallback: bool = True, extra: str = "") -> object:
        table = {OURS: "support", **({"*": "support"} if fallback else {})}
        return workspace_app(SUPPORT, routes={"schema": "callwright/routes@1", "sms": table},
                             toml=settings(gateway.url, extra))
    return make


@pytest.fixture
def app(make_app):
    """Return an app with the gateway, the secret and a default region."""
    return make_app()


def post(client, message: dict | bytes, *, secret: str = SECRET, stamp: int | None = None,
         header: str | None = "sign", form: bool = False, content_type: str | None = None):
    """POST an SMS as a gateway would: JSON, or form-encoded; signed unless told otherwise."""
    if isinstance(message, bytes):
        raw = message
    else:
        raw = urlencode(message).encode() if form else json.dumps(message).encode()
    headers = {}
    if header == "sign":
        headers["X-Callwright-Signature"] = sign(secret, raw, stamp)
    elif header is not None:
        headers["X-Callwright-Signature"] = header
    kind = content_type or ("application/x-www-form-urlencoded" if form else "application/json")
    return client.post(URL, data=raw, headers=headers, content_type=kind)


def sms(text: str = "hello", *, sender: str = CUSTOMER, id: str | None = "SM1", **more) -> dict:
    """Return a JSON SMS from the customer to our number."""
    return {**({"id": id} if id else {}), "from": sender, "to": OURS, "text": text, **more}


def runtime_of(app):
    """Return the app's runtime."""
    return app.extensions["callwright.runtime"]


def sessions_of(app) -> list:
    """Return the sessions the runtime holds for the customer (every flow)."""
    store = runtime_of(app).sessions
    found = store.open_session("sms", CUSTOMER, "support")
    return [found] if found else []


def texts(gateway) -> list[str]:
    """Return the texts the gateway received, in order."""
    return [json.loads(r["body"])["text"] for r in gateway.requests]


def error_of(response) -> dict:
    """Return the error object of an error envelope."""
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def ledger(app) -> list[dict]:
    """Return the delivery ledger's rows, oldest first."""
    with runtime_of(app).queue.records.engine.connect() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.created_at)).mappings()
        return [dict(row) for row in rows]


def opted_out(app, number: str = CUSTOMER):
    """Return the number's opt-out, or None."""
    return runtime_of(app).optouts.opted_out("sms", number)


# --- signatures ------------------------------------------------------------------------------

@pytest.mark.parametrize("how, says", [
    ({"header": None}, "has no X-Callwright-Signature header"),
    ({"header": "t=1,v1=nothex"}, "malformed"),
    ({"secret": "not-the-secret"}, "does not match"),
    ({"stamp": int(time.time()) - 301}, "s old"),
])
@pytest.mark.parametrize("text", ["hello", "STOP"])
def test_an_unsigned_or_badly_signed_sms_is_refused_and_changes_nothing(app, gateway, how, says,
                                                                        text):
    response = post(app.test_client(), sms(text), **how)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "bad_signature" and says in error["message"]
    assert sessions_of(app) == [] and gateway.requests == [] and opted_out(app) is None


def test_a_form_changed_after_signing_is_refused(app, gateway):
    raw = urlencode({"From": CUSTOMER, "To": OURS, "Body": "hello"}).encode()
    header = sign(SECRET, raw)
    response = post(app.test_client(), raw.replace(b"hello", b"STOP"), header=header,
                    form=True)
    assert response.status_code == 401 and opted_out(app) is None and gateway.requests == []


def test_without_a_secret_the_channel_is_off(workspace_app, gateway):
    app = workspace_app(SUPPORT, routes={"sms": {OURS: "support"}},
                        toml=f'[sms]\ngateway = "{gateway.url}"\n[tasks]\nimmediate = true\n')
    response = post(app.test_client(), sms())
    assert response.status_code == 403 and error_of(response)["code"] == "webhooks_not_configured"


# --- the body --------------------------------------------------------------------------------

def test_a_json_sms_starts_a_session_and_each_reply_goes_to_the_gateway_signed(app, gateway):
    response = post(app.test_client(), sms())
    assert response.status_code == 200
    body = response.get_json()
    assert (body["ended"], body["duplicate"]) == (False, False) and "keyword" not in body
    assert texts(gateway) == ["Hi, you wrote: hello", MENU]
    for index, request in enumerate(gateway.requests, start=1):
        assert request["path"] == "/messages"
        verify(SECRET, request["headers"]["x-callwright-signature"], request["body"])
        message = json.loads(request["body"])
        assert (message["from"], message["to"]) == (OURS, CUSTOMER)
        assert message["id"] == request["headers"]["idempotency-key"] \
            == f"{body['session']}.1.reply.{index}"
    assert [row["segments"] for row in ledger(app)] == [1, 1]


def test_a_form_encoded_sms_is_taken_and_other_gateway_fields_are_ignored(app, gateway):
    form = {"AccountSid": "AC1", "MessageSid": "SM7", "From": CUSTOMER, "To": OURS,
            "Body": "hello", "NumMedia": "0", "FromCountry": "DE"}
    response = post(app.test_client(), form, form=True)
    assert response.status_code == 200 and response.get_json()["duplicate"] is False
    assert texts(gateway) == ["Hi, you wrote: hello", MENU]
    again = post(app.test_client(), form, form=True).get_json()
    assert again["duplicate"] is True and len(gateway.requests) == 2


def test_the_next_sms_continues_the_conversation(app, gateway):
    client = app.test_client()
    first = post(client, sms()).get_json()
    second = post(client, sms("1", id="SM2")).get_json()
    assert second["session"] == first["session"]
    assert texts(gateway)[2:] == ["Your balance is 42.00 EUR.", MENU]


def test_numbers_written_nationally_are_read_in_the_default_region(app, gateway):
    client = app.test_client()
    first = post(client, sms(sender="0151 1234-5678", to="030 999000")).get_json()
    second = post(client, sms("9", id="SM2")).get_json()  # the same contact, in E.164
    assert second["session"] == first["session"] and second["ended"] is True
    session = runtime_of(app).sessions.get(first["session"])
    # (the session's contact also carries what the contact store knows: runtime.contacts)
    assert (session.contact["from"], session.contact["to"]) == (CUSTOMER, OURS)
    assert {json.loads(r["body"])["to"] for r in gateway.requests} == {CUSTOMER}


def test_a_short_code_is_our_address_as_it_is(app, gateway):
    body = post(app.test_client(), sms(to="55555")).get_json()  # routed by "*"
    assert runtime_of(app).sessions.get(body["session"]).contact["to"] == "55555"


@pytest.mark.parametrize("message, form, details", [
    ({"to": OURS, "text": "hi"}, False, [("/from", "is required")]),
    ({"From": "", "To": OURS, "Body": "hi"}, True, [("/From", "must not be blank")]),
    ({"To": OURS, "Body": "hi"}, True, [("/From", "is required")]),
    ({"from": "call me", "to": OURS, "text": "hi"}, False,
     [("/from", "'call me' is not a phone number")]),
    ({"From": "12", "To": "nobody", "Body": "hi"}, True,
     [("/From", "'12' is not a"), ("/To", "'nobody' is not a phone number")]),
    ({"from": CUSTOMER, "to": OURS, "text": "x" * 4001}, False,
     [("/text", "must be at most 4000 characters, not 4001")]),
    ({"from": CUSTOMER, "to": OURS, "text": "hi", "channel": "sms"}, False,
     [("/channel", "is not a field of a message")]),
])
def test_a_signed_but_wrong_sms_is_refused_naming_the_fields(app, gateway, message, form,
                                                             details):
    response = post(app.test_client(), message, form=form)
    assert response.status_code == 400
    found = [(d["pointer"], d["message"]) for d in error_of(response)["details"]]
    assert [pointer for pointer, _ in found] == [pointer for pointer, _ in details]
    assert all(says in text for (_, says), (_, text) in zip(details, found)), found
    assert sessions_of(app) == [] and gateway.requests == []


def test_a_field_given_twice_in_a_form_is_refused(app):
    raw = f"From={CUSTOMER}&From=%2B4915199999999&To={OURS}&Body=hi".replace("+", "%2B").encode()
    response = post(app.test_client(), raw, form=True)
    assert response.status_code == 400
    assert error_of(response)["details"] == [{"pointer": "/From",
                                               "message": "is given more than once"}]


def test_a_body_of_100_kb_is_refused_as_too_large_and_changes_nothing(app, gateway):
    response = post(app.test_client(), sms("x" * 100_000))
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_entity_too_large"
    assert sessions_of(app) == [] and gateway.requests == []


@pytest.mark.parametrize("raw, form", [
    (b'{"from": "+4915112345678", "to": "+4930999000", "text": "\xff\xfe"}', False),
    (b"From=%2B4915112345678&To=%2B4930999000&Body=%FF%FE", True),
])
def test_invalid_utf8_is_refused(app, gateway, raw, form):
    response = post(app.test_client(), raw, form=form)
    assert response.status_code == 400 and sessions_of(app) == []


def test_a_body_neither_json_nor_a_form_is_refused_naming_both(app):
    response = post(app.test_client(), b"hello", content_type="text/plain")
    assert response.status_code == 415
    message = error_of(response)["message"]
    assert "application/json" in message and "application/x-www-form-urlencoded" in message


def test_an_empty_sms_is_an_answer_without_words(app, gateway):
    client = app.test_client()
    post(client, sms())
    body = post(client, sms("", id="SM2")).get_json()
    assert body["duplicate"] is False and body["ended"] is False
    assert texts(gateway)[-1] == MENU  # asked again: no answer is not an answer


def test_emoji_and_cyrillic_go_through_and_their_replies_count_ucs2_segments(app, gateway):
    text = "👍 карта потеряна " * 4  # echoed with "Hi, you wrote: ": 87 UTF-16 units, 2 parts
    body = post(app.test_client(), sms(text)).get_json()
    assert texts(gateway)[0] == f"Hi, you wrote: {text}"
    assert [reply["segments"] for reply in body["replies"]] == [2, 1]
    assert [row["segments"] for row in ledger(app)] == [2, 1]


# --- redelivery ------------------------------------------------------------------------------

def test_a_redelivered_message_id_never_runs_a_turn_twice(app, gateway):
    client = app.test_client()
    first = post(client, sms()).get_json()
    again = post(client, sms())
    assert again.status_code == 200
    assert again.get_json() == {"session": first["session"], "replies": [], "ended": False,
                                "duplicate": True}
    assert len(gateway.requests) == 2
    assert runtime_of(app).sessions.get(first["session"]).turns == 1


def test_a_signed_request_without_an_id_replayed_in_its_window_runs_nothing(app, gateway):
    client = app.test_client()
    raw = json.dumps(sms(id=None)).encode()
    header = sign(SECRET, raw)
    first = post(client, raw, header=header).get_json()
    replayed = post(client, raw, header=header).get_json()
    assert replayed["duplicate"] is True and replayed["session"] == first["session"]
    assert len(gateway.requests) == 2


# --- keywords --------------------------------------------------------------------------------

def test_stop_opts_the_number_out_and_is_confirmed_once(app, gateway):
    client = app.test_client()
    response = post(client, sms("Stop"))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["session"], body["keyword"], body["duplicate"]) == (None, "stop", False)
    assert [reply["sms"] for reply in body["replies"]] == texts(gateway)
    assert texts(gateway) == ["You are unsubscribed and will get no more messages. Reply START "
                              "to subscribe again."]
    assert opted_out(app).keyword == "STOP"
    assert sessions_of(app) == []  # no turn ran
    again = post(client, sms("Stop")).get_json()  # the gateway redelivers it
    assert again["duplicate"] is True and len(gateway.requests) == 1


def test_after_stop_the_contact_gets_nothing_more_and_each_skip_is_recorded(app, gateway):
    client = app.test_client()
    post(client, sms("STOP", id="SM1"))
    body = post(client, sms("hello", id="SM2")).get_json()  # a turn runs; its replies are held
    assert [reply["event"] for reply in body["replies"]] == ["say", "ask"]
    assert len(gateway.requests) == 1  # only the confirmation
    skipped = [row for row in ledger(app) if row["state"] == "opted_out"]
    assert len(skipped) == 2
    assert all(row["last_error"].startswith(f"opted out: {CUSTOMER} sent STOP on sms")
               for row in skipped)


def test_start_opts_back_in(app, gateway):
    client = app.test_client()
    post(client, sms("СТОП", id="SM1"))
    assert texts(gateway)[-1].startswith("Вы отписались")
    body = post(client, sms("старт", id="SM2")).get_json()
    assert body["keyword"] == "start" and opted_out(app) is None
    assert texts(gateway)[-1].startswith("Вы снова подписаны")
    post(client, sms("hello", id="SM3"))
    assert texts(gateway)[-2:] == ["Hi, you wrote: hello", MENU]


def test_help_is_answered_with_the_configured_text_and_changes_nothing(make_app, gateway):
    app = make_app(extra='help_text = "Acme Bank: call 0800 123 456. Reply STOP to opt out."')
    client = app.test_client()
    body = post(client, sms("help")).get_json()
    assert body["keyword"] == "help" and body["session"] is None
    assert texts(gateway) == ["Acme Bank: call 0800 123 456. Reply STOP to opt out."]
    assert opted_out(app) is None and sessions_of(app) == []
    post(client, sms("ПОМОЩЬ", id="SM2"))
    assert texts(gateway)[-1] == "Acme Bank: call 0800 123 456. Reply STOP to opt out."


def test_help_is_answered_even_to_a_number_that_opted_out(app, gateway):
    client = app.test_client()
    post(client, sms("STOP", id="SM1"))
    post(client, sms("HELP", id="SM2"))
    assert texts(gateway)[-1] == "Reply STOP to unsubscribe, START to subscribe again."
    assert opted_out(app) is not None


def test_stop_is_honoured_on_a_number_no_flow_is_routed_for(make_app, gateway):
    app = make_app(fallback=False)
    client = app.test_client()
    assert post(client, sms("hello", to="+4930111222")).status_code == 404
    response = post(client, sms("STOP", id="SM2", to="+4930111222"))
    assert response.status_code == 200 and opted_out(app) is not None


def test_without_a_stop_text_stop_is_recorded_and_not_answered(make_app, gateway):
    app = make_app(extra='stop_text = ""')
    body = post(app.test_client(), sms("unsubscribe")).get_json()
    assert (body["keyword"], body["replies"]) == ("stop", [])
    assert opted_out(app).keyword == "UNSUBSCRIBE" and gateway.requests == []


def test_stop_in_the_middle_of_a_conversation_leaves_it_waiting_until_start(app, gateway):
    client = app.test_client()
    first = post(client, sms("hello", id="SM1")).get_json()
    post(client, sms("STOP", id="SM2"))
    post(client, sms("START", id="SM3"))
    answer = post(client, sms("1", id="SM4")).get_json()
    assert answer["session"] == first["session"]
    assert texts(gateway)[-2:] == ["Your balance is 42.00 EUR.", MENU]


def test_a_configured_answer_too_long_for_sms_is_logged_and_the_keyword_still_counts(
        make_app, gateway, caplog):
    app = make_app(extra='max_segments = 1\nstop_text = "' + "Unsubscribed. " * 20 + '"')
    response = post(app.test_client(), sms("STOP"))
    assert response.status_code == 200
    assert (response.get_json()["keyword"], response.get_json()["replies"]) == ("stop", [])
    assert opted_out(app) is not None and gateway.requests == []
    assert "the answer to STOP from +4915112345678 is not sent: send: /text takes 2 SMS " \
           "segments" in caplog.text and "[sms] stop_text" in caplog.text


def test_a_sentence_with_stop_in_it_reaches_the_flow(app, gateway):
    body = post(app.test_client(), sms("stop my card")).get_json()
    assert "keyword" not in body and opted_out(app) is None
    assert texts(gateway)[0] == "Hi, you wrote: stop my card"


# --- conversations we start ------------------------------------------------------------------

def start(client, to: str):
    """Start `support` on SMS with a contact through the executions API."""
    return client.post("/api/v1/flows/support/executions", json={"channel": "sms", "to": to},
                       headers={"Authorization": f"Bearer {TOKEN}"})


def test_a_conversation_we_start_uses_e164_and_the_contact_answer_continues_it(app, gateway):
    client = app.test_client()
    started = start(client, "0151 12345678")
    assert started.status_code == 202
    answer = post(client, sms("1")).get_json()
    assert answer["session"] == started.get_json()["execution"]


def test_a_number_that_is_not_one_is_refused_naming_to(app, gateway):
    response = start(app.test_client(), "0000")
    assert response.status_code == 400
    assert error_of(response)["details"][0]["pointer"] == "/to"
    assert gateway.requests == []


def test_no_conversation_starts_with_a_number_that_opted_out(app, gateway):
    client = app.test_client()
    post(client, sms("STOP"))
    response = start(client, CUSTOMER)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "opted_out" and "until it sends START" in error["message"]
    assert len(gateway.requests) == 1 and sessions_of(app) == []


def test_the_answers_match_the_documented_schema(app):
    from jsonschema import Draft202012Validator

    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/InboundTurn", "components": spec["components"]}
    for body in (post(client, sms()).get_json(), post(client, sms()).get_json(),
                 post(client, sms("HELP", id="SM9")).get_json()):
        assert list(Draft202012Validator(schema).iter_errors(body)) == []
    form = {"$ref": "#/components/schemas/InboundSmsForm", "components": spec["components"]}
    assert list(Draft202012Validator(form).iter_errors({"From": "x", "To": "y", "Body": ""})) == []
