"""Fixtures of the builder's API tests."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from typing import Any

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from builder.server import asgi_app

REMINDER = {
    "schema": "callwright/flow@1", "id": "reminder", "start": "ask",
    "variables": {"order": "unknown"},
    "blocks": {
        "ask": {"type": "menu",
                "config": {"prompt": "Order {{ vars.order }} is ready. Collect today?",
                           "options": [{"key": "1", "label": "Yes", "exit": "yes"},
                                       {"key": "2", "label": "No", "exit": "no"}]},
                "exits": {"yes": "confirmed", "no": "declined"}},
        "confirmed": {"type": "end",
                      "config": {"text": "See you today.", "disposition": "confirmed"}},
        "declined": {"type": "end", "config": {"text": "We keep it for you.",
                                               "disposition": "declined"}},
    },
}


@pytest.fixture
def reminder_flow() -> dict:
    """Return the reminder flow: a menu (1 confirms, 2 declines) about `vars.order`."""
    return copy.deepcopy(REMINDER)


class AsgiResponse:
    """What an ASGI app answered, with the parts of Flask's test response the tests read."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])
        self.data = body
        self.mimetype = self.headers.get("Content-Type", "").partition(";")[0].strip()

    def get_json(self) -> Any:
        return json.loads(self.data)


class AsgiTestClient:
    """Flask's test client's calls (post, get, options, open) sent to the app `serve` runs.

    Requests are built by werkzeug's EnvironBuilder, as Flask's test client builds them, and
    handed over as an ASGI server does: the path decoded, the body in chunks where the environ
    says it came chunked. One event loop serves every request, as in a server process.
    """

    def __init__(self, flask_app) -> None:
        self.app = asgi_app(flask_app)
        self.runtime = flask_app.extensions["callwright.runtime"]
        self.loop = asyncio.new_event_loop()

    def open(self, environ: dict | Request | None = None, **kwargs) -> AsgiResponse:
        if environ is None:
            environ = EnvironBuilder(**kwargs).get_environ()
        elif isinstance(environ, Request):  # as Flask's client takes an environ to send as is
            environ = environ.environ
        return self.loop.run_until_complete(self._call(environ))

    def post(self, path: str, **kwargs) -> AsgiResponse:
        return self.open(path=path, method="POST", **kwargs)

    def get(self, path: str, **kwargs) -> AsgiResponse:
        return self.open(path=path, method="GET", **kwargs)

    def options(self, path: str, **kwargs) -> AsgiResponse:
        return self.open(path=path, method="OPTIONS", **kwargs)

    async def _call(self, environ: dict) -> AsgiResponse:
        body = environ["wsgi.input"].read()
        headers = [(key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
                   for key, value in environ.items() if key.startswith("HTTP_")]
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers.append((key.replace("_", "-").lower().encode(), environ[key].encode()))
        # a chunked body reaches the app in pieces; a sized one in one message
        pieces = [body[:len(body) // 2], body[len(body) // 2:]] \
            if environ.get("wsgi.input_terminated") else [body]
        messages = [{"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
                    for n, piece in enumerate(pieces)]
        messages.append({"type": "http.disconnect"})
        raw_path = environ["PATH_INFO"].encode("latin-1")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": environ["REQUEST_METHOD"], "scheme": "http",
                 "path": raw_path.decode("utf-8"), "raw_path": raw_path,
                 "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 80)}
        answer: dict = {"body": b""}

        async def receive() -> dict:
            return messages.pop(0) if len(messages) > 1 else messages[0]

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                answer.update(status=message["status"], headers=message.get("headers", []))
            else:
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, send)
        return AsgiResponse(answer["status"], answer["headers"], answer["body"])

    def close(self) -> None:
        """Close the HTTP client the turns made on this loop, then the loop (as lifespan does)."""
        self.loop.run_until_complete(self.runtime.close_http())
        self.loop.close()


@pytest.fixture
def thread_loops(monkeypatch):
    """Close, after the test, the event loops made on threads other than the main one.

    Through the ASGI door, Flask views run on a2wsgi's threads, each with an event loop of its
    own that nothing closes (a server's threads live as long as its process). Ask for this
    fixture before the app's: its end comes after the app's runtime has closed its clients.
    """
    made: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.new_event_loop

    def recorded() -> asyncio.AbstractEventLoop:
        loop = new_event_loop()
        if threading.current_thread() is not threading.main_thread():
            made.append(loop)
        return loop
    monkeypatch.setattr(asyncio, "new_event_loop", recorded)
    yield made
    for loop in made:
        if not loop.is_closed() and not loop.is_running():
            loop.close()


@pytest.fixture(params=["wsgi", "asgi"])
def front_door(request):
    """Return a function giving a test client of a Flask app, through each way it is served.

    `wsgi`: Flask's own test client (the app as a WSGI server runs it); `asgi`: the ASGI app
    that `callwright serve` runs, with the chat route on the event loop.
    """
    opened: list[AsgiTestClient] = []

    def client_of(flask_app):
        if request.param == "wsgi":
            return flask_app.test_client()
        client = AsgiTestClient(flask_app)
        opened.append(client)
        return client
    yield client_of
    for client in opened:
        client.close()


# --- users and access --------------------------------------------------------------------------

def password_of(name: str) -> str:
    """Return the password the `auth_app` fixture gives a user."""
    return f"pw-of-{name}-0123"


@pytest.fixture
def auth_app(workspace_app, reminder_flow):
    """Return app(*users, toml=""): an app over a workspace with the reminder flow and these
    users, each "name:role", whose passwords are `password_of(name)`."""
    from builder.auth.state import state_of

    def make(*users: str, toml: str = ""):
        app = workspace_app(reminder_flow, toml=toml)
        for user in users:
            name, _, role = user.partition(":")
            state_of(app).users.add(name, role, password_of(name), display_name=name.title(),
                                    email=f"{name}@example.com")
        return app
    return make


@pytest.fixture
def sign_in():
    """Return sign_in(client, name, password=None): sign a test client in; return its CSRF token."""
    def signed_in(client, name: str, password: str | None = None) -> str:
        response = client.post("/api/v1/session",
                               json={"name": name, "password": password or password_of(name)})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["csrf_token"]
    return signed_in
