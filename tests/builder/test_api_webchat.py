"""The widget's API on the ASGI app: turns by route, CORS for allowed origins, the event stream."""

from __future__ import annotations

import asyncio
import json

import pytest

from builder.server import asgi_app

SHOP = "https://shop.example"
FLOW = {"schema": "callwright/flow@1", "id": "helper", "start": "hi",
        "blocks": {"hi": {"type": "say", "config": {"text": "Hello."}, "exits": {"next": "menu"}},
                   "menu": {"type": "menu", "config": {"prompt": "Which?", "options": [
                       {"key": "1", "label": "Balance", "exit": "done"},
                       {"key": "2", "label": "Hours", "exit": "done"}]},
                            "exits": {"done": "bye", "failed": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye."}}}}
ROUTES = {"schema": "callwright/routes@1", "chat": {"web": "helper"}}


@pytest.fixture
def app(workspace_app):
    flask_app = workspace_app(FLOW, routes=ROUTES,
                              toml=f'[chat]\norigins = ["{SHOP}"]\nmax_streams = 2\n')
    app = asgi_app(flask_app)
    yield app
    shut_down(app)


def shut_down(app) -> None:
    """Run the app's lifespan shutdown, as serve does when it stops."""
    incoming = [{"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)
    asyncio.run(asyncio.wait_for(app({"type": "lifespan"}, receive, send), 10))
    assert sent == [{"type": "lifespan.shutdown.complete"}]


def scope(method: str, path: str, origin: str | None = SHOP, query: bytes = b"",
          headers: tuple = ()) -> dict:
    fields = [(b"content-type", b"application/json"), *headers]
    if origin is not None:
        fields.append((b"origin", origin.encode()))
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "scheme": "http", "http_version": "1.1",
            "headers": fields, "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000)}


def call(app, method: str, path: str, body: object = None, **options) -> tuple[int, dict, bytes]:
    """Run one request to its end; return status, headers and body."""
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    incoming = [{"type": "http.request", "body": raw}]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # a quiet connection

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope(method, path, **options), receive, send), 10))
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def post(app, text: str = "hi", origin: str | None = SHOP, **fields) -> tuple[int, dict, dict]:
    status, headers, body = call(app, "POST", "/api/v1/webchat/web/messages",
                                 {"text": text, **fields}, origin=origin)
    return status, headers, json.loads(body)


def test_a_message_from_an_allowed_origin_runs_a_turn_and_answers_with_cors(app):
    status, headers, answer = post(app, "hello")
    assert status == 200
    assert headers["access-control-allow-origin"] == SHOP and headers["vary"] == "Origin"
    shown = [(m["side"], m.get("text"), m.get("quick_replies")) for m in answer["messages"]]
    assert shown == [("visitor", "hello", None), ("bot", "Hello.", None),
                     ("bot", "Which?", ["Balance", "Hours"])]
    ids = [m["id"] for m in answer["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 3
    status, _, second = post(app, "Hours", conversation=answer["conversation"])
    assert second["conversation"] == answer["conversation"]
    assert second["session"] == answer["session"]  # the waiting session went on
    assert [m.get("text") or m.get("notice") for m in second["messages"]] == \
        ["Hours", "Bye.", "ended"]
    assert second["ended"] is True


def test_a_retried_message_runs_no_second_turn_and_is_kept_once(app):
    _, _, first = post(app, "hello", id="m1")
    _, _, again = post(app, "hello", id="m1", conversation=first["conversation"])
    assert again["duplicate"] is True
    assert [m["id"] for m in again["messages"]] == [first["messages"][0]["id"]]
    _, kept = stream(app, first["conversation"], len(first["messages"]))
    assert kept == first["messages"]


def test_an_origin_not_in_settings_is_refused_with_403_and_no_cors(app):
    status, headers, answer = post(app, "hello", origin="https://evil.example")
    assert status == 403
    assert answer["error"]["code"] == "origin_not_allowed"
    assert "https://evil.example" in answer["error"]["message"]
    assert "[chat] origins" in answer["error"]["message"]
    assert "access-control-allow-origin" not in headers
    status, headers, _ = call(app, "OPTIONS", "/api/v1/webchat/web/messages",
                              origin="https://evil.example")
    assert status == 403 and "access-control-allow-origin" not in headers


def test_a_request_without_an_origin_is_no_browser_page_and_is_answered(app):
    status, headers, _ = post(app, "hello", origin=None)
    assert status == 200 and "access-control-allow-origin" not in headers


def test_a_page_of_the_server_itself_may_chat_without_being_listed(app):
    status, _, raw = call(app, "POST", "/api/v1/webchat/web/messages", {"text": "hello"},
                          origin="http://chat.example:8080",
                          headers=((b"host", b"chat.example:8080"),))
    assert status == 200, raw
    status, _, _ = call(app, "POST", "/api/v1/webchat/web/messages", {"text": "hello"},
                        origin="http://chat.example:9090",
                        headers=((b"host", b"chat.example:8080"),))
    assert status == 403


def test_a_preflight_from_an_allowed_origin_is_answered_with_what_may_be_sent(app):
    status, headers, body = call(app, "OPTIONS", "/api/v1/webchat/web/messages")
    assert status == 204 and body == b""
    assert headers["access-control-allow-origin"] == SHOP
    assert headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert "Content-Type" in headers["access-control-allow-headers"]
    status, headers, _ = call(app, "OPTIONS", events_path("a" * 24))
    assert headers["access-control-allow-methods"] == "GET, OPTIONS"


@pytest.mark.parametrize(("body", "pointer", "message"), [
    ({"text": ""}, "/text", "is empty"),
    ({}, "/text", "is required"),
    ({"text": 5}, "/text", "must be a string"),
    ({"text": "x" * 4001}, "/text", "at most 4000"),
    ({"text": "hi", "conversation": "../x"}, "/conversation", "conversation id"),
    ({"text": "hi", "id": ""}, "/id", "1 to 128"),
    ({"text": "hi", "session": "s"}, "/session", "not a field"),
])
def test_a_bad_message_is_refused_naming_the_field_and_runs_nothing(app, body, pointer, message):
    status, headers, raw = call(app, "POST", "/api/v1/webchat/web/messages", body)
    error = json.loads(raw)["error"]
    assert status == 400 and headers["access-control-allow-origin"] == SHOP
    assert [(d["pointer"], message in d["message"]) for d in error["details"]] == [(pointer, True)]


def test_an_unknown_route_and_a_wrong_method_are_named(app):
    status, _, raw = call(app, "POST", "/api/v1/webchat/nowhere/messages", {"text": "hi"})
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_route"
    assert "\"chat\" table of routes.json" in json.loads(raw)["error"]["message"]
    status, headers, _ = call(app, "GET", "/api/v1/webchat/web/messages")
    assert status == 405 and headers["allow"] == "OPTIONS, POST"


def events_path(conversation: str, route: str = "web") -> str:
    return f"/api/v1/webchat/{route}/conversations/{conversation}/events"


def stream(app, conversation: str, until: int, **options) -> tuple[dict, list[dict]]:
    """Open an event stream, read `until` messages, then go away; return headers and messages."""
    sent: list[dict] = []
    gone = asyncio.Event()

    async def receive() -> dict:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        text = b"".join(m.get("body", b"") for m in sent[1:])
        if text.count(b"\ndata: ") >= until:
            gone.set()

    async def run() -> None:
        await asyncio.wait_for(app(scope("GET", events_path(conversation), **options), receive,
                                   send), 10)
    asyncio.run(run())
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    text = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    messages = [json.loads(line[len("data: "):]) for line in text.splitlines()
                if line.startswith("data: ")]
    ids = [int(line[len("id: "):]) for line in text.splitlines() if line.startswith("id: ")]
    assert ids == [m["id"] for m in messages]
    return headers, messages


def test_the_event_stream_replays_after_the_last_event_id(app):
    _, _, first = post(app, "hello")
    conversation = first["conversation"]
    headers, replayed = stream(app, conversation, 3)
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["access-control-allow-origin"] == SHOP
    assert replayed == first["messages"]
    after = str(first["messages"][1]["id"]).encode()
    _, rest = stream(app, conversation, 1, headers=((b"last-event-id", after),))
    assert rest == first["messages"][2:]
    _, rest = stream(app, conversation, 2, query=b"after=" + str(first["messages"][0]["id"]).encode())
    assert rest == first["messages"][1:]


def test_the_event_stream_pushes_what_is_kept_while_it_is_open(app):
    _, _, first = post(app, "hello")
    asyncio.run(asyncio.wait_for(_pushed(app, first["conversation"], first["messages"][-1]["id"]),
                                 15))


async def _pushed(app, conversation: str, last: int) -> None:
    """Hold a stream open while a turn runs on another thread; its messages come pushed."""
    sent: list[bytes] = []
    gone = asyncio.Event()

    async def receive() -> dict:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message.get("body", b""))
        if b'"ended"' in b"".join(sent):
            gone.set()

    task = asyncio.ensure_future(app(scope("GET", events_path(conversation),
                                           headers=((b"last-event-id", str(last).encode()),)),
                                     receive, send))
    await asyncio.sleep(0.3)
    status, _, answer = await asyncio.to_thread(post, app, "Balance", conversation=conversation)
    assert status == 200
    await task
    text = b"".join(sent).decode()
    pushed = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert pushed == answer["messages"]


def test_streams_past_the_bound_are_answered_503_with_retry_after(app):
    async def scenario() -> None:
        gone = asyncio.Event()
        opened: list[bytes] = []

        async def receive() -> dict:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            opened.append(message.get("body", b""))

        streams = [asyncio.ensure_future(app(scope("GET", events_path(c * 24)), receive, send))
                   for c in "ab"]
        await asyncio.sleep(0.2)
        status, headers, body = await asyncio.to_thread(call, app, "GET", events_path("c" * 24))
        assert status == 503 and headers["retry-after"] == "5"
        assert json.loads(body)["error"]["code"] == "too_many_streams"
        gone.set()
        await asyncio.gather(*streams)
    asyncio.run(scenario())


@pytest.mark.parametrize(("header", "query"), [(b"soon", b""), (None, b"after=-1")])
def test_a_bad_last_event_id_is_refused_naming_it(app, header, query):
    headers = ((b"last-event-id", header),) if header else ()
    status, _, body = call(app, "GET", events_path("a" * 24), query=query, headers=headers)
    assert status == 400 and "a message id" in json.loads(body)["error"]["message"]


def test_a_conversation_id_of_the_wrong_form_has_no_stream(app):
    status, _, body = call(app, "GET", events_path("short"))
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
