"""What a change must satisfy before the store makes it: a flow id, an ETag, a draft's shape."""

from __future__ import annotations

import re
from typing import Any

import schemas

from ..errors import BadRequest
from .errors import FlowMissing, PreconditionRequired, VersionMismatch

FLOW_ID = re.compile(schemas.load("flow")["$defs"]["id"]["pattern"])


def known(flow_id: str) -> None:
    """Refuse (FlowMissing) an id no flow can have, before it reaches a file name."""
    if not FLOW_ID.fullmatch(flow_id):
        raise FlowMissing(f"no flow {flow_id[:130]!r}: flow ids match {FLOW_ID.pattern}")


def check_new_id(flow_id: Any) -> None:
    """Refuse (400, at /id) an id a new flow cannot have."""
    if not isinstance(flow_id, str) or not FLOW_ID.fullmatch(flow_id):
        raise BadRequest.fields([("/id", f"must match {FLOW_ID.pattern} (letters, digits, "
                                         f"_ . -; at most 128; not starting with a digit)")])


# an If-Match precondition: one ETag, "*", the ETags of a list, or None (none sent)
IfMatch = str | frozenset[str] | None


def check_precondition(flow_id: str, current: str, if_match: IfMatch) -> None:
    """Refuse a change made without an ETag (428) or on another state than the current (409).

    `if_match` is the ETag, `"*"` for any, the set of ETags a header listed (any of them
    matches, as HTTP has it), or None when the client sent none.
    """
    if if_match is None:
        raise PreconditionRequired(flow_id, current)
    tags = {if_match} if isinstance(if_match, str) else if_match
    if "*" not in tags and current not in tags:
        raise VersionMismatch(flow_id, current)


def draft_problems(flow_id: str, document: Any) -> list[tuple[str, str]]:
    """Return what keeps a body from being saved as a flow's draft (pointer, message)."""
    if not isinstance(document, dict):
        return [("", "must be a JSON object: the flow document")]
    if document.get("id") != flow_id:
        return [("/id", f"must be {flow_id!r}, the id of the flow this is the draft of")]
    return []
