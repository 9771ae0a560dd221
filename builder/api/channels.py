"""Messaging webhooks: a signed inbound message runs one turn of the contact's conversation."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request

from runtime.messaging.numbers import NumberError, default_region, e164, our_number
from runtime.messaging.signing import SIGNATURE_HEADER, verify

from ..errors import ApiError, BadRequest, UnsupportedMediaType
from . import current_runtime, json_response
from .body import check_media_type, kind_of, parse_body, read_body, unknown_fields
from .executions import MAX_ADDRESS

bp = Blueprint("channels", __name__)

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT = 4000
MAX_MESSAGE_ID = 255
FIELDS = ("id", "from", "to", "text")
# the common form encoding of SMS webhooks (Twilio's names): form field -> message field
SMS_FORM = {"MessageSid": "id", "From": "from", "To": "to", "Body": "text"}
FORM_TYPE = "application/x-www-form-urlencoded"
# gateways send a few dozen fields (account, media, geography...): all but four are ignored
MAX_FORM_FIELDS = 100


@bp.post("/channels/webhook")
def webhook_message() -> Response:
    """Take a message `{id?, from, to, text}` signed with [webhooks] secret; answer the turn."""
    raw, stamp = signed_body()
    check_media_type(request.content_type or "")
    body = parse_body(raw)
    problems = check_message(body)
    if problems:
        raise BadRequest.fields(problems)
    result = current_runtime().inbound("webhook", body["from"], body["to"], body["text"],
                                       message_id(body, stamp, raw))
    return json_response(result)


@bp.post("/channels/sms")
def sms_message() -> Response:
    """Take a signed SMS, `{id?, from, to, text}` or a form `MessageSid, From, To, Body`; answer."""
    raw, stamp = signed_body()
    body, pointers = sms_body(raw, request.content_type or "")
    problems = [(_renamed(pointer, pointers), message) for pointer, message in check_message(body)]
    if not problems:
        body, problems = phone_numbers(body, pointers)
    if problems:
        raise BadRequest.fields(problems)
    result = current_runtime().inbound("sms", body["from"], body["to"], body["text"],
                                       message_id(body, stamp, raw))
    return json_response(result)


def signed_body() -> tuple[bytes, int]:
    """Return the raw body and its signature's time; refuse it unsigned or badly signed (401)."""
    secret = current_runtime().workspace.settings.get("webhooks", {}).get("secret")
    if not secret:
        raise ApiError("inbound webhooks are verified with a shared secret: set [webhooks] secret "
                       "in callwright.toml (or CALLWRIGHT_WEBHOOKS_SECRET)",
                       code="webhooks_not_configured", status=403)
    raw = read_body(request.environ, MAX_BODY_BYTES)
    # the signature covers the bytes as they arrived: check it before reading anything in them
    return raw, verify(secret, request.headers.get(SIGNATURE_HEADER), raw)


def message_id(body: dict, stamp: int, raw: bytes) -> str:
    """Return a message's id: its own, else its signed moment and bytes."""
    # without an id, a replay of the same signed request within its window runs nothing
    return body.get("id") or f"signed:{stamp}:{hashlib.sha256(raw).hexdigest()}"


def sms_body(raw: bytes, content_type: str) -> tuple[Any, dict[str, str]]:
    """Return an SMS sent as JSON or as a form, and each field's pointer as the sender named it."""
    mimetype = content_type.partition(";")[0].strip().lower()
    if mimetype == FORM_TYPE:
        return form_message(raw)
    try:
        check_media_type(mimetype)
    except UnsupportedMediaType:
        sent = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(f"send the SMS as JSON (application/json) or as a form "
                                   f"({FORM_TYPE}); got {sent}") from None
    return parse_body(raw), {field: f"/{field}" for field in FIELDS}


def form_message(raw: bytes) -> tuple[dict, dict[str, str]]:
    """Return a form-encoded SMS as a message and the pointer of each field; 400 when unreadable."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                          errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as exc:
        raise BadRequest.fields([("", f"is not UTF-8 form data ({exc.reason})")]) from None
    except ValueError as exc:  # more fields than MAX_FORM_FIELDS
        raise BadRequest.fields([("", str(exc))]) from None
    body: dict[str, Any] = {}
    for name, value in pairs:
        field = SMS_FORM.get(name)
        if field is None:
            continue  # the gateway's own fields
        if field in body:
            raise BadRequest.fields([(f"/{name}", "is given more than once")])
        body[field] = value
    return body, {field: f"/{name}" for name, field in SMS_FORM.items()}


def phone_numbers(body: dict, pointers: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
    """Return the message with `from` and `to` in E.164 (`to` may be a short code), or problems."""
    region = default_region(current_runtime().workspace.settings)
    problems = []
    numbers = {}
    for field, read in (("from", e164), ("to", our_number)):
        try:
            numbers[field] = read(body[field], region, pointers[field])
        except NumberError as exc:
            problems.append((exc.field, exc.reason))
    return {**body, **numbers}, problems


def _renamed(pointer: str, pointers: dict[str, str]) -> str:
    """Return a message field's pointer as the request named it (`/from` of a form is `/From`)."""
    return pointers.get(pointer.removeprefix("/"), pointer)


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
    return problems + unknown_fields(body, FIELDS, "a message")
