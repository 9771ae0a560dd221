"""API tokens (admins only): list, make (the token is shown once) and remove."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from ..auth import ROLES, audit, current_identity, requires
from ..auth.identity import refusal
from ..auth.state import state_of
from ..errors import BadRequest
from . import json_response
from .body import kind_of, pointer_of
from .executions import read_json

bp = Blueprint("tokens", __name__)

FIELDS = ("name", "role")
MAX_NAME = 128


@bp.get("/tokens")
@requires("admin")
def list_tokens() -> Response:
    """List the tokens of the table, oldest first (never their secrets)."""
    return json_response({"tokens": [token.as_dict() for token in state_of().tokens.all()]})


@bp.post("/tokens")
@requires("admin")
def add_token() -> Response:
    """Make a token with a role; 201 with the token `cw_<id>_<secret>`, shown only this once."""
    body = read_json()
    problems = token_problems(body)
    if problems:
        raise BadRequest.fields(problems)
    identity = current_identity()
    token, text = state_of().tokens.add(body["name"].strip(), body["role"],
                                        identity.name if identity else None)
    audit("token_added", "token", token.id, {"name": token.name, "role": token.role})
    response = json_response({**token.as_dict(), "token": text}, status=201)
    response.headers["Location"] = url_for(".remove_token", token_id=token.id)
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    return response


@bp.delete("/tokens/<token_id>")
@requires("admin")
def remove_token(token_id: str) -> Response:
    """Remove a token: it stops working at once; 204."""
    token = state_of().tokens.remove(token_id)
    if token is None:
        raise refusal("token_not_found", f"there is no token {token_id!r}")
    audit("token_removed", "token", token.id, {"name": token.name, "role": token.role})
    return Response(status=204)


def token_problems(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a new token's body."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object {{name, role}}, not {kind_of(body)}")]
    problems = [(pointer_of(key), "is not a field of a token (expected name, role)")
                for key in body if key not in FIELDS]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "\x00" in name:
        problems.append(("/name", f"is required: 1 to {MAX_NAME} characters, not blank, no NUL"))
    if body.get("role") not in ROLES:
        problems.append(("/role", f"is required: one of {', '.join(ROLES)}"))
    return problems
