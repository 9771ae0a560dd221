"""POST /api/v1/chat/<flow_id>/messages: one turn of a web chat conversation per request."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from builder.api.body import check_length
from builder.api.chat import MAX_BODY_BYTES
from builder.errors import ApiError, BadRequest

URL = "/api/v1/chat/support-bot/messages"

SUPPORT_BOT = {
    "schema": "callwright/flow@1", "id": "support-bot", "name": "Support bot", "start": "route",
    "blocks": {
        "route": {"type": "branch",
                  "config": {"rules": [
                      {"when": {"var": "trigger.text", "op": "contains", "value": "balance"},
                       "exit": "balance"}]},
                  "exits": {"balance": "say_balance", "default": "say_sorry"}},
        "say_balance": {"type": "say", "config": {"text": "Your balance is 42.00 EUR."},
                        "exits": {"next": "main_menu"}},
        "say_sorry": {"type": "say", "config": {"text": "Sorry, I did not understand: {{ trigger.text }}"},
                      "exits": {"next": "main_menu"}},
        "main_menu": {"type": "menu",
                      "config": {"prompt": "Balance or goodbye?",
                                 "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                                             {"key": "9", "label": "Goodbye", "exit": "bye"}]},
                      "exits": {"balance": "say_balance", "bye": "goodbye"}},
        "goodbye": {"type": "end", "config": {"text": "Bye."}},
    },
}


@pytest.fixture
def client(workspace_app, front_door):
    """Return a test client of an app over a workspace holding the support-bot flow.

    Every test runs twice: through Flask's WSGI app and through the ASGI app of `serve`.
    """
    return front_door(workspace_app(SUPPORT_BOT))


def say_texts(replies: list[dict]) -> list[str]:
    """Return the texts of the `say` events of a turn."""
    return [event["text"] for event in replies if event["event"] == "say"]


def error_of(response) -> dict:
    """Return the error object of an error envelope, checking the envelope's shape."""
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_a_message_without_session_starts_one_with_the_text_as_trigger(client) -> None:
    response = client.post(URL, json={"text": "what is my balance"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"session", "replies", "ended"}
    assert isinstance(body["session"], str) and body["session"]
    assert say_texts(body["replies"]) == ["Your balance is 42.00 EUR."]
    assert body["replies"][-1]["event"] == "ask"
    assert body["replies"][-1]["block"] == "main_menu"
    assert body["ended"] is False


def test_the_next_message_continues_the_session_where_it_waits(client) -> None:
    first = client.post(URL, json={"text": "hello"}).get_json()
    assert say_texts(first["replies"]) == ["Sorry, I did not understand: hello"]
    second = client.post(URL, json={"session": first["session"], "text": "balance"}).get_json()
    assert second["session"] == first["session"]
    assert say_texts(second["replies"]) == ["Your balance is 42.00 EUR."]
    assert second["ended"] is False


def test_a_turn_that_reaches_the_end_says_ended_and_the_session_takes_no_more(client) -> None:
    session = client.post(URL, json={"text": "hi"}).get_json()["session"]
    last = client.post(URL, json={"session": session, "text": "goodbye"})
    assert last.status_code == 200
    assert last.get_json()["ended"] is True
    assert say_texts(last.get_json()["replies"]) == ["Bye."]
    again = client.post(URL, json={"session": session, "text": "balance"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "session_ended"


def test_two_sessions_of_one_flow_are_independent(client) -> None:
    one = client.post(URL, json={"text": "balance"}).get_json()["session"]
    two = client.post(URL, json={"text": "hello"}).get_json()["session"]
    assert one != two
    assert client.post(URL, json={"session": one, "text": "goodbye"}).get_json()["ended"] is True
    assert client.post(URL, json={"session": two, "text": "1"}).get_json()["ended"] is False


def test_an_unknown_flow_is_a_404_flow_not_found_envelope(client) -> None:
    response = client.post("/api/v1/chat/no-such-flow/messages", json={"text": "hi"})
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "flow_not_found"
    assert "no-such-flow" in error["message"]


def test_an_unknown_session_is_a_404_session_not_found_envelope(client) -> None:
    response = client.post(URL, json={"session": "0" * 32, "text": "hi"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "session_not_found"


def test_a_session_is_not_found_under_another_flow_id(client) -> None:
    session = client.post(URL, json={"text": "hi"}).get_json()["session"]
    response = client.post("/api/v1/chat/other/messages", json={"session": session, "text": "1"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "session_not_found"


@pytest.mark.parametrize(("body", "pointer", "words"), [
    ({"text": 5}, "/text", "must be a string"),
    ({"text": None}, "/text", "must be a string"),
    ({}, "/text", "is required"),
    ({"text": "x" * 4001}, "/text", "at most 4000 characters"),
    ({"text": "hi", "session": 12}, "/session", "must be a string"),
    ({"text": "hi", "session": ""}, "/session", "1 to 128 characters"),
    ({"text": "hi", "colour": "red"}, "/colour", "is not a field"),
    (["hi"], "", "must be a JSON object"),
    ("hi", "", "must be a JSON object"),
])
def test_a_bad_body_is_a_400_naming_the_field(client, body, pointer: str, words: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert {"pointer": pointer, "message": error["details"][0]["message"]} == error["details"][0]
    assert words in error["details"][0]["message"]
    assert (pointer or "the body") + ": " in error["message"]


def test_every_wrong_field_is_reported_not_only_the_first(client) -> None:
    response = client.post(URL, json={"text": 1, "session": 2})
    pointers = [detail["pointer"] for detail in error_of(response)["details"]]
    assert pointers == ["/text", "/session"]


def test_the_longest_allowed_text_and_a_null_session_are_accepted(client) -> None:
    response = client.post(URL, json={"text": "b" * 4000, "session": None})
    assert response.status_code == 200


def test_malformed_json_is_a_400_with_line_and_column(client) -> None:
    response = client.post(URL, data='{"text":\n  "hi",}', content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert error["details"][0]["line"] == 2
    assert error["details"][0]["column"] == 8
    assert "line 2, column 8" in error["message"]


def test_a_body_that_is_not_json_is_a_415(client) -> None:
    response = client.post(URL, data={"text": "hi"})  # form encoded
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in error["message"]


def test_a_json_body_that_is_not_utf8_is_a_400(client) -> None:
    response = client.post(URL, data=b'{"text": "\xff"}', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_an_oversized_body_is_refused_before_it_is_read(client) -> None:
    response = client.post(URL, data=b" " * (65 * 1024) + b'{"text": "hi"}',
                           content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_entity_too_large"


def test_get_is_not_allowed_on_the_messages_url(client) -> None:
    response = client.get(URL)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert error_of(response)["code"] == "method_not_allowed"


def test_options_names_the_allowed_methods(client) -> None:
    response = client.options(URL)
    assert response.status_code == 200
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"OPTIONS", "POST"}


def test_a_flow_id_in_utf8_is_named_as_sent_in_the_404(client) -> None:
    response = client.post("/api/v1/chat/caf%C3%A9/messages", json={"text": "hi"})
    assert response.status_code == 404
    assert "café" in error_of(response)["message"]


def post_chunked(client, data: bytes):
    """POST a body as a server hands over a chunked one: no Content-Length, input terminated."""
    environ = EnvironBuilder(path=URL, method="POST", data=data,
                             content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    # a Request, not the environ: Flask's client rebuilds an environ, with a Content-Length
    return client.open(Request(environ))


def test_a_chunked_body_over_the_limit_is_a_413(client) -> None:
    response = post_chunked(client, b'{"text": "' + b"x" * (65 * 1024) + b'"}')
    assert response.status_code == 413


def test_a_chunked_body_within_the_limit_runs_the_turn(client) -> None:
    response = post_chunked(client, b'{"text": "balance please"}')
    assert response.status_code == 200
    assert say_texts(response.get_json()["replies"]) == ["Your balance is 42.00 EUR."]


def test_urls_beside_the_messages_url_are_left_to_the_rest_of_the_api(client) -> None:
    assert client.post(URL + "/", json={"text": "hi"}).status_code == 404
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("length", ["12a", "\u00b2", "-1", ""])
def test_a_content_length_that_is_no_number_is_a_400_naming_it(length: str) -> None:
    with pytest.raises(BadRequest, match="Content-Length header"):
        check_length(length, MAX_BODY_BYTES)


@pytest.mark.parametrize("length", [str(MAX_BODY_BYTES + 1), "9" * 5000])
def test_a_content_length_over_the_limit_is_a_413_before_the_body_is_read(length: str) -> None:
    assert check_length(str(MAX_BODY_BYTES), MAX_BODY_BYTES) == MAX_BODY_BYTES
    with pytest.raises(ApiError) as caught:
        check_length(length, MAX_BODY_BYTES)
    assert caught.value.status == 413


# --- what a visitor may reach and see ---------------------------------------------------------

WEBHOOK_ROUTES = {"schema": "callwright/routes@1", "webhook": {"support": "support-bot"}}
WEBHOOK_TOML = ('[webhooks]\nsecret = "s"\nurl = "https://messenger.example/out"\n'
                "[tasks]\nimmediate = true\n")


def test_a_conversation_of_another_channel_cannot_be_continued_through_the_chat_api(
        workspace_app, front_door, monkeypatch) -> None:
    app = workspace_app(SUPPORT_BOT, routes=WEBHOOK_ROUTES, toml=WEBHOOK_TOML)
    runtime = app.extensions["callwright.runtime"]
    monkeypatch.setattr(runtime, "enqueue_all", lambda *args: None)  # no messenger to post to
    opened = runtime.inbound("webhook", "tg:4711", "support", "hello", "m-1")
    client = front_door(app)
    response = client.post(URL, json={"session": opened["session"], "text": "balance"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "session_not_found"
    assert runtime.sessions.get(opened["session"]).turns == 1  # nothing ran


FAILING = {
    "schema": "callwright/flow@1", "id": "lookup", "start": "crm",
    "blocks": {
        "crm": {"type": "http", "config": {"url": "http://127.0.0.1:9/accounts"},
                "exits": {"success": "done", "error": "sorry"}},
        "sorry": {"type": "end", "config": {"text": "Our systems are busy, please try later."}},
        "done": {"type": "end"},
    },
}
UNHANDLED = {**FAILING, "id": "unhandled",
             "blocks": {**FAILING["blocks"], "crm": {**FAILING["blocks"]["crm"],
                                                     "exits": {"success": "done"}}}}


@pytest.mark.parametrize("flow", [FAILING, UNHANDLED], ids=["error exit", "no error exit"])
def test_a_visitor_sees_the_flow_s_words_and_the_execution_log_keeps_the_detail(
        workspace_app, front_door, monkeypatch, flow) -> None:
    monkeypatch.delenv("CALLWRIGHT_HTTP_ALLOW", raising=False)  # loopback is refused
    app = workspace_app(flow)
    client = front_door(app)
    response = client.post(f"/api/v1/chat/{flow['id']}/messages", json={"text": "my balance"})
    assert response.status_code == 200
    body = response.get_json()
    text = json.dumps(body)
    assert "127.0.0.1" not in text and "loopback" not in text and "refused" not in text
    assert [event["event"] for event in body["replies"]] in (["say", "end"], ["end"])
    steps = app.extensions["callwright.runtime"].execution(body["session"])["steps"]
    assert steps[0]["exit"] == "error" and "loopback" in steps[0]["note"]
