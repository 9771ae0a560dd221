"""A flow's executions, newest first, for the editor's executions panel (simulations left out)."""

from __future__ import annotations

import math

from flask import Blueprint, Response, request

from ..auth import requires
from ..errors import BadRequest
from . import current_runtime, json_response

bp = Blueprint("executions_list", __name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
FIELDS = ("channel", "status", "disposition", "turns", "steps", "started_at", "updated_at")


@bp.get("/flows/<flow_id>/executions")
@requires("viewer")
def list_executions(flow_id: str) -> Response:
    """List a flow's recent sessions, the most recently active first; `before` pages on."""
    limit, before = paging()
    log = current_runtime().executions
    rows = log.recent(flow_id, limit=limit, before=before) if log is not None else []
    return json_response({"executions": [
        {"execution": row["session_id"], **{name: row[name] for name in FIELDS}} for row in rows]})


def paging() -> tuple[int, float | None]:
    """Return `limit` (1 to MAX_LIMIT) and `before` (unix seconds) of the query, or raise 400."""
    limit = number_of("limit", int)
    if limit is None:
        limit = DEFAULT_LIMIT
    elif not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"query parameter limit must be from 1 to {MAX_LIMIT}, not {limit}")
    before = number_of("before", float)
    if before is not None and not math.isfinite(before):
        raise BadRequest("query parameter before must be a finite number of unix seconds")
    return limit, before


def number_of(name: str, kind: type[int] | type[float]) -> int | float | None:
    """Return a query parameter as a number of a kind, None when absent; raise 400 if not one."""
    text = request.args.get(name)
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number of unix seconds"
        raise BadRequest(f"query parameter {name} must be {what}, not {text!r}") from None
