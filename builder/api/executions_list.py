"""A flow's executions, newest first, for the editor's executions panel (simulations left out)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..auth import requires
from . import current_runtime, json_response
from .audit import before_of, limit_of

bp = Blueprint("executions_list", __name__)

FIELDS = ("channel", "status", "disposition", "turns", "steps", "started_at", "updated_at")


@bp.get("/flows/<flow_id>/executions")
@requires("viewer")
def list_executions(flow_id: str) -> Response:
    """List a flow's recent sessions, the most recently active first; `before` pages on."""
    # the same paging as the audit log: `limit` 1 to 500, `before` in unix seconds
    limit, before = limit_of(), before_of()
    log = current_runtime().executions
    rows = log.recent(flow_id, limit=limit, before=before) if log is not None else []
    return json_response({"executions": [
        {"execution": row["session_id"], **{name: row[name] for name in FIELDS}} for row in rows]})
