"""Web chat: one POST per visitor message runs one turn of a flow's session.

`POST /api/v1/chat/<flow_id>/messages` is the API's hot path, so it is answered in front of Flask,
with the same body checks and error envelope as the Flask views: Flask's request and response
objects cost about as much CPU as the whole turn, which runs a session and saves it. Every other
URL passes through to Flask untouched. It has two front doors over the same checks:

- `AsgiChatRoute`, which `callwright serve` runs: each turn is a task on the worker process's one
  event loop, so a turn waiting on a flow's HTTP call or script holds no thread, and turns never
  hand the GIL between threads (benchmarks/chat.sh: 4 WSGI threads cost ~35 us more a turn);
- `ChatRoute`, WSGI middleware in the Flask app itself (`app.wsgi_app`), for a WSGI server and for
  Flask's test client; it runs each turn on its thread's own event loop.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, MutableMapping

from runtime.jsontext import dump_bytes

from ..errors import ApiError, BadRequest, error_parts
from . import API_PREFIX
from .body import (ClientDisconnected, check_media_type, kind_of, parse_body, read_body,
                   receive_body, unknown_fields)

if TYPE_CHECKING:
    from runtime import Runtime

MAX_TEXT = 4000
MAX_SESSION_ID = 128
MAX_BODY_BYTES = 64 * 1024  # a 4,000-character message is at most ~24 KB of escaped JSON
FIELDS = ("session", "text")
ALLOWED = "OPTIONS, POST"
ROUTE = "/chat/{flow_id}/messages"  # under /api/v1, as the OpenAPI document names it
# the flow id is one path segment, as Flask's default converter would take it
PATH = re.compile(re.escape(API_PREFIX) + r"/chat/([^/]+)/messages\Z")
_JSON_HEADERS = [("Content-Type", "application/json")]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ChatRoute:
    """WSGI middleware answering chat turns itself and passing every other request on."""

    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        headers = list(_JSON_HEADERS)
        try:
            if method == "OPTIONS":
                start_response("200 OK", [("Allow", ALLOWED), ("Content-Length", "0")])
                return [b""]
            if method != "POST":
                raise ApiError(f"the method {method} is not allowed for this URL (use POST)",
                               code="method_not_allowed", status=405, headers={"Allow": ALLOWED})
            session, text = read_turn(environ)
            # WSGI hands the path over as latin-1 code points of its bytes: the id is UTF-8
            flow_id = match.group(1).encode("latin-1").decode("utf-8", "replace")
            turn = self.runtime.chat_turn(flow_id, session, text)
            status = 200
            body = dump_bytes(turn)
        except Exception as exc:  # every failure answers the error envelope, as in Flask views
            status, body, extra = error_parts(exc)
            headers += extra.items()
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


class AsgiChatRoute:
    """ASGI middleware answering chat turns itself and passing everything else to `app`."""

    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None:
            return await self.app(scope, receive, send)
        method = scope["method"]
        headers = list(_JSON_HEADERS)
        try:
            if method == "OPTIONS":
                return await _respond(send, 200, [("Allow", ALLOWED), ("Content-Length", "0")],
                                      b"")
            if method != "POST":
                raise ApiError(f"the method {method} is not allowed for this URL (use POST)",
                               code="method_not_allowed", status=405, headers={"Allow": ALLOWED})
            fields = dict(scope["headers"])
            check_media_type(fields.get(b"content-type", b"").decode("latin-1"))
            length = fields.get(b"content-length")
            raw = await receive_body(receive, None if length is None else length.decode("latin-1"),
                                     MAX_BODY_BYTES)
            session, text = turn_of(raw)
            # ASGI hands the path over decoded: the flow id is as the client wrote it
            turn = await self.runtime.turn(match.group(1), session, text)
            status = 200
            body = dump_bytes(turn)
        except ClientDisconnected:
            return  # nobody is left to answer
        except Exception as exc:  # every failure answers the error envelope, as in Flask views
            status, body, extra = error_parts(exc)
            headers += extra.items()
        headers.append(("Content-Length", str(len(body))))
        await _respond(send, status, headers, body)


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                            for name, value in headers]})
    await send({"type": "http.response.body", "body": body})


def read_turn(environ: dict) -> tuple[str | None, str]:
    """Return (session id or None, text) from a WSGI request's JSON body, or raise an ApiError."""
    check_media_type(environ.get("CONTENT_TYPE", ""))
    return turn_of(read_body(environ, MAX_BODY_BYTES))


def turn_of(raw: bytes) -> tuple[str | None, str]:
    """Return (session id or None, text) of a chat message body, or raise a 400 naming fields."""
    body = parse_body(raw)
    problems = check_turn(body)
    if problems:
        raise BadRequest.fields(problems)
    return body.get("session"), body["text"]


def check_turn(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a chat turn body."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"text\": \"hello\"}}, not {kind_of(body)}")]
    problems = []
    text = body.get("text")
    if "text" not in body:
        problems.append(("/text", "is required"))
    elif not isinstance(text, str):
        problems.append(("/text", f"must be a string, not {kind_of(text)}"))
    elif len(text) > MAX_TEXT:
        problems.append(("/text", f"must be at most {MAX_TEXT} characters, not {len(text)}"))
    session = body.get("session")
    if session is not None:
        if not isinstance(session, str):
            problems.append(("/session", f"must be a string, not {kind_of(session)}"))
        elif not 0 < len(session) <= MAX_SESSION_ID:
            problems.append(("/session", f"must be 1 to {MAX_SESSION_ID} characters long"))
    return problems + unknown_fields(body, FIELDS, "a chat message")

