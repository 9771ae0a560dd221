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

from ..errors import ApiError, BadRequest, UnsupportedMediaType, error_parts
from . import API_PREFIX
from .body import kind_of, parse_body, pointer_of

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
            session, text = turn_of(await _receive_body(receive, fields.get(b"content-length")))
            # ASGI hands the path over decoded: the flow id is as the client wrote it
            turn = await self.runtime.turn(match.group(1), session, text)
            status = 200
            body = dump_bytes(turn)
        except _Disconnected:
            return  # nobody is left to answer
        except Exception as exc:  # every failure answers the error envelope, as in Flask views
            status, body, extra = error_parts(exc)
            headers += extra.items()
        headers.append(("Content-Length", str(len(body))))
        await _respond(send, status, headers, body)


class _Disconnected(Exception):
    """The client went away before its whole message arrived."""


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                            for name, value in headers]})
    await send({"type": "http.response.body", "body": body})


async def _receive_body(receive: Receive, length: bytes | None) -> bytes:
    """Return an ASGI request's body, refusing one over MAX_BODY_BYTES as soon as it shows."""
    if length is not None:
        check_length(length.decode("latin-1"))
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:  # chunked, or more than Content-Length said
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def read_turn(environ: dict) -> tuple[str | None, str]:
    """Return (session id or None, text) from a WSGI request's JSON body, or raise an ApiError."""
    check_media_type(environ.get("CONTENT_TYPE", ""))
    return turn_of(_read_body(environ))


def check_media_type(content_type: str) -> None:
    """Refuse (415) a body that is not JSON."""
    mimetype = content_type.partition(";")[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        sent = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(
            f"send the message as JSON with Content-Type application/json (got {sent})")


def turn_of(raw: bytes) -> tuple[str | None, str]:
    """Return (session id or None, text) of a chat message body, or raise a 400 naming fields."""
    body = parse_body(raw)
    problems = check_turn(body)
    if problems:
        raise BadRequest.fields(problems)
    return body.get("session"), body["text"]


def check_length(length: str) -> int:
    """Return a Content-Length header's value; refuse one that is no number or over the limit."""
    if not (length.isascii() and length.isdigit()):  # isdigit alone takes "²"
        raise BadRequest(f"the Content-Length header {length!r} is not a number")
    if int(length) > MAX_BODY_BYTES:
        raise _too_large()
    return int(length)


def _read_body(environ: dict) -> bytes:
    """Return a WSGI request's body, refusing one over MAX_BODY_BYTES before reading it."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        return stream.read(check_length(length))
    if environ.get("wsgi.input_terminated"):  # chunked: read no more than the limit allows
        data = stream.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise _too_large()
        return data
    return b""


def _too_large() -> ApiError:
    """Return the 413 error of a body over MAX_BODY_BYTES."""
    return ApiError(f"the body is over {MAX_BODY_BYTES} bytes, the most a chat message may be",
                    code="request_entity_too_large", status=413)


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
    for key in body:
        if key not in FIELDS:
            problems.append((pointer_of(key), "is not a field of a chat message "
                                              f"(expected {' and '.join(FIELDS)})"))
    return problems

