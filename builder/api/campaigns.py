"""Campaigns: one flow started for a list of contacts, a few at a time, inside a time window."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from runtime import campaigns

from ..auth import requires
from ..errors import ApiError, BadRequest
from . import current_runtime, json_response
from .body import kind_of, pointer_of, unknown_fields
from .executions import check_address, number_problem, read_json

bp = Blueprint("campaigns", __name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # 10000 contacts with a few variables each
MAX_CONTACTS = 10000
MAX_CONCURRENCY = 1000
CHANNELS = ("sms", "webhook", "chat", "voice")
FIELDS = ("flow", "channel", "from", "contacts", "concurrency", "window")
CONTACT_FIELDS = ("to", "vars")


@bp.post("/campaigns")
@requires("editor")
def start_campaign() -> Response:
    """Store a campaign and queue its first advance; 202 with its id."""
    body = read_json(MAX_BODY_BYTES)
    problems = check_campaign(body)
    if problems:
        raise BadRequest.fields(problems)
    result = campaigns.launch(current_runtime(), body["flow"], body["channel"], body["contacts"],
                              concurrency=body["concurrency"], sender=body.get("from"),
                              window=body.get("window"))
    response = json_response(result, status=202)
    response.headers["Location"] = url_for(".get_campaign", campaign_id=result["campaign"])
    return response


@bp.get("/campaigns/<campaign_id>")
@requires("viewer")
def get_campaign(campaign_id: str) -> Response:
    """Return a campaign's status, counts and every contact's result."""
    return json_response(_answer(campaigns.status, campaign_id))


@bp.post("/campaigns/<campaign_id>/cancel")
@requires("editor")
def cancel_campaign(campaign_id: str) -> Response:
    """Stop a campaign from starting more contacts; conversations under way go on."""
    return json_response(_answer(campaigns.cancel, campaign_id))


def _answer(action: Any, campaign_id: str) -> dict:
    """Run a campaign action; an unknown id is a 404."""
    try:
        return action(campaigns.engine_of(current_runtime()), campaign_id)
    except campaigns.CampaignNotFound as exc:
        raise ApiError(str(exc), code="campaign_not_found", status=404) from None


def check_campaign(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a campaign request."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"flow\": \"reminder\", \"channel\": \"sms\", "
                     f"\"contacts\": [{{\"to\": \"+4915112345678\"}}], \"concurrency\": 5}}, "
                     f"not {kind_of(body)}")]
    problems = check_address(body, "flow", required=True)
    channel = body.get("channel")
    if "channel" not in body:
        problems.append(("/channel", "is required"))
    elif channel not in CHANNELS:
        problems.append(("/channel", f"must be one of {', '.join(CHANNELS)}, not {channel!r}"))
    problems += check_address(body, "from", required=False)
    problems += _check_count(body, "concurrency", MAX_CONCURRENCY)
    problems += check_contacts(body.get("contacts"), channel) if "contacts" in body else [
        ("/contacts", "is required")]
    if "window" in body:
        problems += campaigns.window_problems(body["window"])
    return problems + unknown_fields(body, FIELDS, "a campaign")


def _check_count(body: dict, field: str, top: int) -> list[tuple[str, str]]:
    """Return the problem of a required whole number from 1 to `top`."""
    value = body.get(field)
    if field not in body:
        return [(f"/{field}", "is required")]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        return [(f"/{field}", f"must be a whole number from 1 to {top}, not {value!r}")]
    return []


def check_contacts(contacts: Any, channel: Any) -> list[tuple[str, str]]:
    """Return the problems of the contact list, each contact named by its index."""
    if not isinstance(contacts, list) or not 1 <= len(contacts) <= MAX_CONTACTS:
        return [("/contacts", f"must be a list of 1 to {MAX_CONTACTS} contacts {{to, vars?}}")]
    problems = []
    for index, contact in enumerate(contacts):
        at = f"/contacts/{index}"
        if not isinstance(contact, dict):
            problems.append((at, f"must be an object {{to, vars?}}, not {kind_of(contact)}"))
            continue
        problems += [(at + pointer, message)
                     for pointer, message in check_address(contact, "to", required=True)]
        to = contact.get("to")
        problem = number_problem(to) if channel == "sms" and isinstance(to, str) \
            and to.strip() else None
        if problem:
            problems.append((f"{at}/to", problem))
        if "vars" in contact and not isinstance(contact["vars"], dict):
            problems.append((f"{at}/vars", f"must be an object of variable values, not "
                                           f"{kind_of(contact['vars'])}"))
        problems += [(at + pointer_of(key), "is not a field of a contact (expected to, vars)")
                     for key in contact if key not in CONTACT_FIELDS]
    return problems
