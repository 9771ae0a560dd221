"""What a change must satisfy before the store makes it: an ETag, a draft's shape."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .errors import PreconditionRequired, VersionMismatch

# an If-Match precondition: one ETag, "*", the ETags of a list, or None (none sent)
IfMatch = str | frozenset[str] | None


def check_precondition(flow_id: str, current: str, if_match: IfMatch,
                       label: str = "flow") -> None:
    """Refuse a change made without an ETag (428) or on another state than the current (409).

    `if_match` is the ETag, `"*"` for any, the set of ETags a header listed (any of them
    matches, as HTTP has it), or None when the client sent none.
    """
    if if_match is None:
        raise PreconditionRequired(flow_id, current, label)
    tags = {if_match} if isinstance(if_match, str) else if_match
    if "*" not in tags and current not in tags:
        raise VersionMismatch(flow_id, current, label)


def draft_problems(flow_id: str, document: Any, label: str = "flow") -> list[tuple[str, str]]:
    """Return what keeps a body from being saved as a document's draft (pointer, message)."""
    if not isinstance(document, dict):
        return [("", f"must be a JSON object: the {label} document")]
    if document.get("id") != flow_id:
        return [("/id", f"must be {flow_id!r}, the id of the {label} this is the draft of")]
    return []
