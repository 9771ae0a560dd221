"""The audit log (editors and admins): who did what to which target, newest first."""

from __future__ import annotations

import math
import re

from flask import Blueprint, Response, request

from ..auth import requires
from ..auth.state import state_of
from ..errors import BadRequest
from . import json_response

bp = Blueprint("audit", __name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_FILTER = 128
LIMIT = re.compile(r"[0-9]{1,4}")  # ASCII digits: str.isdigit() takes "²" too, which int() refuses


@bp.get("/audit")
@requires("editor")
def list_audit() -> Response:
    """List audit entries, newest first; `before` (unix seconds) pages on, `action`, `target`
    (a target id) filter."""
    limit, before = limit_of(), before_of()
    action, target = filter_of("action"), filter_of("target")
    return json_response({"entries": state_of().log.entries(
        limit=limit, before=before, action=action, target=target)})


def limit_of() -> int:
    """Return the `limit` query parameter (1 to MAX_LIMIT, default DEFAULT_LIMIT) or raise 400."""
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest(f"query parameter limit must be a whole number from 1 to {MAX_LIMIT}, "
                         f"not {text[:20]!r}")
    return int(text)


def before_of() -> float | None:
    """Return the `before` query parameter in unix seconds, None when absent; 400 if not one."""
    text = request.args.get("before")
    if text is None:
        return None
    try:
        before = float(text)
    except ValueError:
        before = math.nan
    if not math.isfinite(before):
        raise BadRequest(f"query parameter before must be a number of unix seconds, not "
                         f"{text[:20]!r}")
    return before


def filter_of(name: str) -> str | None:
    """Return a filter query parameter, None when absent; 400 when over-long."""
    text = request.args.get(name)
    if text is not None and (len(text) > MAX_FILTER or "\x00" in text):
        raise BadRequest(f"query parameter {name} must be at most {MAX_FILTER} characters, "
                         f"without NUL")
    return text
