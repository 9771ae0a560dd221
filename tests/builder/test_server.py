"""The ASGI app of `serve`: lifespan, chat on the event loop, the rest of the API through Flask."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from contextlib import closing

import pytest

from builder.server import asgi_app
from runtime.engine.threadloop import thread_loop

FLOW = {"schema": "callwright/flow@1", "id": "hello", "start": "greet",
        "blocks": {"greet": {"type": "say", "config": {"text": "Hello."},
                             "exits": {"next": "bye"}},
                   "bye": {"type": "end", "config": {}}}}


@pytest.fixture
def flask_app(workspace_app):
    return workspace_app(FLOW)


def run(app, scope: dict, incoming: list[dict]) -> list[dict]:
    """Run one ASGI call on a new loop; return what the app sent.

    receive() returns a future, not a coroutine, as granian's does.
    """
    sent: list[dict] = []

    def receive() -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if incoming:
            future.set_result(incoming.pop(0))
        return future  # nothing more to come: never done, as a quiet connection

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    return sent


def chat_scope(flow_id: str = "hello") -> dict:
    return {"type": "http", "method": "POST", "path": f"/api/v1/chat/{flow_id}/messages",
            "raw_path": f"/api/v1/chat/{flow_id}/messages".encode(), "query_string": b"",
            "root_path": "", "scheme": "http", "http_version": "1.1",
            "headers": [(b"content-type", b"application/json")],
            "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000)}


def test_startup_is_acknowledged_and_shutdown_writes_the_pending_steps_and_closes(flask_app):
    root = flask_app.extensions["callwright.runtime"].workspace.root
    app = asgi_app(flask_app)
    turn = run(app, chat_scope(), [{"type": "http.request", "body": b'{"text": "hi"}'}])
    session = json.loads(turn[1]["body"])["session"]
    sent = run(app, {"type": "lifespan"},
               [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    assert [m["type"] for m in sent] == ["lifespan.startup.complete",
                                         "lifespan.shutdown.complete"]
    # the execution log's writer held the steps for up to 0.2 s: closing wrote them
    with closing(sqlite3.connect(root / ".callwright" / "callwright.sqlite3")) as conn:
        assert conn.execute("SELECT block FROM steps WHERE session_id = ? ORDER BY id",
                            (session,)).fetchall() == [("greet",), ("bye",)]


def test_shutdown_closes_http_clients_that_flask_threads_made_on_their_own_loops(flask_app):
    runtime = flask_app.extensions["callwright.runtime"]
    app = asgi_app(flask_app)
    loops: list = []

    def turn() -> None:  # as a Flask view does: a turn (and an HTTP client) on its own loop
        runtime.chat_turn("hello", None, "hi")
        loops.append(thread_loop())
    on_thread = threading.Thread(target=turn)
    on_thread.start()
    on_thread.join(10)
    sent = run(app, {"type": "lifespan"},
               [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    assert [m["type"] for m in sent] == ["lifespan.startup.complete",
                                         "lifespan.shutdown.complete"]
    loops[0].close()  # the thread's loop outlives it, as a Flask thread's does the process


def test_a_client_gone_before_its_message_arrived_gets_no_answer_and_no_session(flask_app):
    runtime = flask_app.extensions["callwright.runtime"]
    sent = run(asgi_app(flask_app), chat_scope(),
               [{"type": "http.request", "body": b'{"te', "more_body": True},
                {"type": "http.disconnect"}])
    assert sent == []
    assert runtime.sessions.expire(before=float("inf")) == 0


def test_a_chat_turn_answers_json_with_its_length(flask_app):
    sent = run(asgi_app(flask_app), chat_scope(),
               [{"type": "http.request", "body": b'{"text": "hi"}'}])
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 200
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(body["body"])
    assert json.loads(body["body"])["ended"] is True


def test_other_urls_are_answered_by_the_flask_app(flask_app):
    scope = {**chat_scope(), "method": "GET", "path": "/api/v1/flows", "raw_path": b"/api/v1/flows"}
    start, *rest = run(asgi_app(flask_app), scope, [{"type": "http.request", "body": b""}])
    assert start["status"] == 200
    listed = json.loads(b"".join(message.get("body", b"") for message in rest))["flows"]
    assert [flow["id"] for flow in listed] == ["hello"]


def test_a_chunked_request_body_reaches_the_flask_views(flask_app):
    body = json.dumps(FLOW).encode()
    scope = {**chat_scope(), "path": "/api/v1/flows/hello/validate",
             "raw_path": b"/api/v1/flows/hello/validate"}  # no Content-Length: chunked
    start, *rest = run(asgi_app(flask_app), scope,
                       [{"type": "http.request", "body": body[:40], "more_body": True},
                        {"type": "http.request", "body": body[40:]}])
    answer = json.loads(b"".join(message.get("body", b"") for message in rest))
    assert (start["status"], answer) == (200, {"ok": True, "problems": []})


def test_a_request_body_reaches_the_flask_views(flask_app):
    body = json.dumps(FLOW).encode()
    scope = {**chat_scope(), "path": "/api/v1/flows/hello/validate",
             "raw_path": b"/api/v1/flows/hello/validate",
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    start, *rest = run(asgi_app(flask_app), scope, [{"type": "http.request", "body": body}])
    answer = json.loads(b"".join(message.get("body", b"") for message in rest))
    assert (start["status"], answer) == (200, {"ok": True, "problems": []})


def test_a_chunked_body_cut_short_by_a_client_that_went_away_never_reaches_a_view(flask_app):
    # a Flask route (validate): a2wsgi would take the disconnect for the end of the body
    scope = {**chat_scope(), "path": "/api/v1/flows/hello/validate",
             "raw_path": b"/api/v1/flows/hello/validate",
             "headers": [(b"content-type", b"application/json")]}
    sent = run(asgi_app(flask_app), scope,
               [{"type": "http.request", "body": b'{"schema": "callwright/flow@1", "id": "hel',
                 "more_body": True},
                {"type": "http.disconnect"}])
    [start, *_] = sent
    assert start["status"] == 400  # never a 200 report judging half a document
