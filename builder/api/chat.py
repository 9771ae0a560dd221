"""Web chat: one POST per visitor message runs one turn of a flow's session."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from ..errors import ApiError, BadRequest, UnsupportedMediaType
from . import current_runtime, json_response

bp = Blueprint("chat", __name__)

MAX_TEXT = 4000
MAX_SESSION_ID = 128
MAX_BODY_BYTES = 64 * 1024  # a 4,000-character message is at most ~24 KB of escaped JSON
FIELDS = ("session", "text")


@bp.post("/chat/<flow_id>/messages")
def post_message(flow_id: str) -> Response:
    """Run one chat turn: a new session triggered by `text`, or the next message of `session`."""
    session, text = read_turn()
    return json_response(current_runtime().chat_turn(flow_id, session, text))


def read_turn() -> tuple[str | None, str]:
    """Return (session id or None, text) from the request's JSON body, or raise a 4xx ApiError."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        sent = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(
            f"send the message as JSON with Content-Type application/json (got {sent})")
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise ApiError(f"the body is {length} bytes; a chat message may be at most "
                       f"{MAX_BODY_BYTES} bytes", code="request_entity_too_large", status=413)
    body = parse_body(request.get_data(cache=False))
    problems = check_turn(body)
    if problems:
        raise BadRequest.fields(problems)
    return body.get("session"), body["text"]


def parse_body(data: bytes) -> Any:
    """Parse a JSON body, or raise BadRequest saying where it is malformed."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}",
                         details=[{"pointer": "", "message": exc.msg, "line": exc.lineno,
                                   "column": exc.colno}]) from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}",
                         details=[{"pointer": "", "message": "not UTF-8 text"}]) from None


def check_turn(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a chat turn body."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"text\": \"hello\"}}, not {_kind(body)}")]
    problems = []
    text = body.get("text")
    if "text" not in body:
        problems.append(("/text", "is required"))
    elif not isinstance(text, str):
        problems.append(("/text", f"must be a string, not {_kind(text)}"))
    elif len(text) > MAX_TEXT:
        problems.append(("/text", f"must be at most {MAX_TEXT} characters, not {len(text)}"))
    session = body.get("session")
    if session is not None:
        if not isinstance(session, str):
            problems.append(("/session", f"must be a string, not {_kind(session)}"))
        elif not 0 < len(session) <= MAX_SESSION_ID:
            problems.append(("/session", f"must be 1 to {MAX_SESSION_ID} characters long"))
    for key in body:
        if key not in FIELDS:
            problems.append((_pointer(key), "is not a field of a chat message "
                                            f"(expected {' and '.join(FIELDS)})"))
    return problems


def _kind(value: Any) -> str:
    """Return the JSON type name of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a value")


def _pointer(key: str) -> str:
    """Return the JSON pointer of a top-level key (RFC 6901 escaping)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
