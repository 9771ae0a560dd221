"""Contacts: find one by identity or session, read it and its timeline, merge two, erase one.

Viewers read, editors merge, admins erase; merges and erasures go in the audit log. A contact
merged into another answers `301` with the id of the one it went into.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request, url_for

from runtime.contacts import ContactStore, IdentityError, erase_contact, parse_identity
from runtime.messaging.numbers import default_region

from ..auth import audit, requires
from ..errors import ApiError, BadRequest
from . import current_runtime, json_response
from .audit import filter_of, limit_of
from .body import kind_of
from .executions import read_json

bp = Blueprint("contacts", __name__)

MAX_BODY_BYTES = 4096
CONTACT_ID = re.compile(r"[0-9a-f]{32}")
ENTRY_ID = re.compile(r"[0-9]{1,18}")


@bp.get("/contacts")
@requires("viewer")
def find_contacts() -> Response:
    """List the contact holding an `identity` (kind:value) or met in a `session`."""
    identity, session = filter_of("identity"), filter_of("session")
    if (identity is None) == (session is None):
        raise BadRequest("give one query parameter: identity (such as phone:+4915112345678 or "
                         "email:ada@example.org) or session (an execution id)")
    store = _store()
    if identity is not None:
        try:
            kind, value = parse_identity(identity, default_region(
                current_runtime().workspace.settings), "identity")
        except IdentityError as exc:
            raise BadRequest.fields([("identity", str(exc).removeprefix("identity: "))]) \
                from None
        found = store.find(kind, value)
    else:
        found = store.of_session(session)
    shown = store.get(found) if found is not None else None
    return json_response({"contacts": [shown] if shown is not None else []})


@bp.get("/contacts/<contact_id>")
@requires("viewer")
def get_contact(contact_id: str) -> Response:
    """Return a contact: identities, attributes, when and where last seen."""
    found = _contact(contact_id, ".get_contact")
    return json_response(found)


@bp.get("/contacts/<contact_id>/timeline")
@requires("viewer")
def get_timeline(contact_id: str) -> Response:
    """Return a contact's timeline, newest first; `before` (an entry id) pages on."""
    limit = limit_of()
    before = request.args.get("before")
    if before is not None and not ENTRY_ID.fullmatch(before):
        raise BadRequest(f"query parameter before must be a timeline entry id (a whole "
                         f"number), not {before[:20]!r}")
    _contact(contact_id, ".get_timeline")
    entries = _store().timeline(contact_id, limit=limit,
                                before=int(before) if before is not None else None)
    return json_response({"contact": contact_id, "entries": entries})


@bp.post("/contacts/<contact_id>/merge")
@requires("editor")
def merge_contact(contact_id: str) -> Response:
    """Merge the contact named in the body into this one; answer the contact kept."""
    body = read_json(MAX_BODY_BYTES)
    other = _other_of(body)
    if other == contact_id:
        raise BadRequest.fields([("/contact", "names the contact merged into: a contact cannot "
                                              "be merged into itself")])
    _contact(contact_id, ".get_contact", moved_status=409)
    _contact(other, ".get_contact", moved_status=409, pointer="/contact")
    kept = _store().merge(contact_id, other)
    audit("contact_merged", "contact", kept, {"merged": other})
    return json_response(_store().get(kept))


@bp.delete("/contacts/<contact_id>")
@requires("admin")
def erase(contact_id: str) -> Response:
    """Erase a contact with its timeline and its sessions' transcripts and recordings."""
    _contact(contact_id, ".get_contact", moved_status=409)
    runtime = current_runtime()
    erased = erase_contact(_store(), contact_id, executions=runtime.executions,
                           recordings=runtime.recordings, sessions=runtime.sessions)
    audit("contact_erased", "contact", contact_id,
          {"sessions": erased.sessions, "steps": erased.steps, "recordings": erased.recordings})
    return json_response(erased.as_dict())


def _store() -> ContactStore:
    """Return the runtime's contact store; without a records database there is none."""
    book = current_runtime().contacts
    if book is None:
        raise ApiError("this runtime keeps no contacts: it has no records database",
                       code="contacts_not_kept", status=404)
    book.flush()  # the turns this process ran last are on the timelines it answers with
    return book.store


def _contact(contact_id: str, endpoint: str, *, moved_status: int = 301,
             pointer: str | None = None) -> dict:
    """Return a contact, or raise the 404, or the 301 (409 for writes) of a merged-away id."""
    found = _store().get(contact_id) if CONTACT_ID.fullmatch(contact_id) else None
    where = f"{pointer}: " if pointer else ""
    if found is None:
        raise ApiError(f"{where}no contact {contact_id[:64]!r}", code="contact_not_found",
                       status=404)
    if found["merged_into"] is not None:
        went = found["merged_into"]
        if moved_status == 301:
            raise ApiError(f"contact {contact_id} was merged into {went}", code="contact_merged",
                           status=301, details=[went],
                           headers={"Location": url_for(endpoint, contact_id=went)})
        raise ApiError(f"{where}contact {contact_id} was merged into {went}: use that one",
                       code="contact_merged", status=409, details=[went])
    return found


def _other_of(body: Any) -> str:
    """Return the id of the contact a merge request names, or raise 400 naming the field."""
    if not isinstance(body, dict):
        raise BadRequest.fields([("", f"must be a JSON object like {{\"contact\": \"<id>\"}}, "
                                      f"not {kind_of(body)}")])
    unknown = sorted(set(body) - {"contact"})
    problems = [(f"/{name}", "is not a field of a merge request") for name in unknown]
    other = body.get("contact")
    if "contact" not in body:
        problems.append(("/contact", "is required: the id of the contact to merge into this one"))
    elif not isinstance(other, str) or not CONTACT_ID.fullmatch(other):
        problems.append(("/contact", "must be a contact id (32 lower-case hex digits)"))
    if problems:
        raise BadRequest.fields(problems)
    return other
