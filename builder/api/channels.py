"""Messaging webhooks: a signed inbound message runs one turn of the contact's conversation."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request

from runtime.messaging.signing import SIGNATURE_HEADER, verify

from ..errors import BadRequest, envelope
from . import current_runtime, json_response
from .body import check_media_type, kind_of, parse_body, pointer_of, read_body
from .executions import MAX_ADDRESS

bp = Blueprint("channels", __name__)

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT = 4000
MAX_MESSAGE_ID = 255
FIELDS = ("id", "from", "to", "text")


@bp.post("/channels/webhook")
def webhook_message() -> Response:
    """Take a message `{id?, from, to, text}` signed with [webhooks] secret; answer the turn."""
    secret = current_runtime().workspace.settings.get("webhooks", {}).get("secret")
    if not secret:
        return envelope(403, "webhooks_not_configured",
                        "inbound webhooks are verified with a shared secret: set [webhooks] secret "
                        "in callwright.toml (or CALLWRIGHT_WEBHOOKS_SECRET)")
    raw = read_body(request.environ, MAX_BODY_BYTES)
    # the signature covers the bytes as they arrived: check it before reading anything in them
    stamp = verify(secret, request.headers.get(SIGNATURE_HEADER), raw)
    check_media_type(request.content_type or "")
    body = parse_body(raw)
    problems = check_message(body)
    if problems:
        raise BadRequest.fields(problems)
    # a message without an id is known by its signed moment and bytes: a replay of the same
    # signed request within the signature's window runs nothing
    message_id = body.get("id") or f"signed:{stamp}:{hashlib.sha256(raw).hexdigest()}"
    result = current_runtime().inbound("webhook", body["from"], body["to"], body["text"],
                                       message_id)
    return json_response(result)


def check_message(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with an inbound message."""
    if not isinstance(body, dict):
        return [("", "must be a JSON object like {\"from\": \"visitor-7\", \"to\": \"support\", "
                     f"\"text\": \"hello\"}}, not {kind_of(body)}")]
    problems = []
    for field, limit in (("from", MAX_ADDRESS), ("to", MAX_ADDRESS), ("text", MAX_TEXT),
                         ("id", MAX_MESSAGE_ID)):
        if field not in body:
            if field != "id":
                problems.append((f"/{field}", "is required"))
            continue
        value = body[field]
        if not isinstance(value, str):
            problems.append((f"/{field}", f"must be a string, not {kind_of(value)}"))
        elif len(value) > limit:
            problems.append((f"/{field}", f"must be at most {limit} characters, not {len(value)}"))
        elif field != "text" and not value.strip():
            problems.append((f"/{field}", "must not be blank"))
    for key in body:
        if key not in FIELDS:
            problems.append((pointer_of(key), "is not a field of a message (expected "
                                            f"{', '.join(FIELDS)})"))
    return problems
