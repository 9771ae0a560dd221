"""Executions: start a flow from outside (an editor's token, a channel, an address), look it up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for

from runtime.errors import SessionNotFound
from runtime.messaging.numbers import NumberError, default_region, e164
from runtime.messaging.replies import url_problem

from ..auth import requires
from ..errors import ApiError, BadRequest
from . import current_runtime, json_response
from .body import check_media_type, kind_of, parse_body, read_body, unknown_fields

bp = Blueprint("executions", __name__)

MAX_BODY_BYTES = 64 * 1024
MAX_ADDRESS = 256
CHANNELS = ("sms", "webhook", "chat", "voice")
FIELDS = ("channel", "to", "from", "vars", "callback_url")


@bp.post("/flows/<flow_id>/executions")
@requires("editor")
def start_execution(flow_id: str) -> Response:
    """Start a flow's conversation with a contact on a channel; 202 with the execution id."""
    body = read_json()
    problems = check_execution(body)
    if problems:
        raise BadRequest.fields(problems)
    result = current_runtime().start_execution(
        flow_id, body["channel"], body["to"], sender=body.get("from"), vars=body.get("vars"),
        callback=body.get("callback_url"))
    response = json_response(result, status=202)
    response.headers["Location"] = url_for(".get_execution", execution_id=result["execution"])
    return response


@bp.get("/executions/<execution_id>")
@requires("viewer")
def get_execution(execution_id: str) -> Response:
    """Return how an execution stands and every step it took."""
    try:
        return json_response(current_runtime().execution(execution_id))
    except SessionNotFound:
        raise ApiError(f"no execution {execution_id!r}", code="execution_not_found",
                       status=404) from None


def read_json(limit: int = MAX_BODY_BYTES) -> Any:
    """Return the parsed JSON body, or raise a 4xx ApiError saying what is wrong with it."""
    check_media_type(request.content_type or "")
    return parse_body(read_body(request.environ, limit))


def check_execution(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with an execution request."""
    if not isinstance(body, dict):
        return [("", "must be a JSON object like {\"channel\": \"sms\", \"to\": \"+4915112345678\"}"
                     f", not {kind_of(body)}")]
    problems = []
    channel = body.get("channel")
    if "channel" not in body:
        problems.append(("/channel", "is required"))
    elif channel not in CHANNELS:
        problems.append(("/channel", f"must be one of {', '.join(CHANNELS)}, not {channel!r}"))
    problems += check_address(body, "to", required=True)
    if channel == "sms" and isinstance(body.get("to"), str) and body["to"].strip():
        problem = number_problem(body["to"])
        if problem:
            problems.append(("/to", problem))
    problems += check_address(body, "from", required=False)
    if "vars" in body and not isinstance(body["vars"], dict):
        problems.append(("/vars", "must be an object of variable values, not "
                                  f"{kind_of(body['vars'])}"))
    if "callback_url" in body:
        problem = url_problem(body["callback_url"])
        if problem:
            problems.append(("/callback_url", problem))
    return problems + unknown_fields(body, FIELDS, "an execution")


def number_problem(text: str) -> str | None:
    """Return why a text is not a phone number (read in [sms] default_region), or None."""
    try:
        e164(text, default_region(current_runtime().workspace.settings))
    except NumberError as exc:
        return exc.reason
    return None


def check_address(body: dict, field: str, *, required: bool) -> list[tuple[str, str]]:
    """Return the problems of an address field: a non-blank string of at most 256 characters."""
    if field not in body:
        return [(f"/{field}", "is required")] if required else []
    value = body[field]
    if not isinstance(value, str):
        return [(f"/{field}", f"must be a string, not {kind_of(value)}")]
    if not value.strip() or len(value) > MAX_ADDRESS:
        return [(f"/{field}", f"must be 1 to {MAX_ADDRESS} characters and not blank")]
    return []
