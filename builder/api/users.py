"""Users (admins only): list, add, change (role, password, details, language) and remove."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from ..auth import LANGUAGES, ROLES, audit, current_identity, requires
from ..auth.identity import refusal
from ..auth.passwords import password_problem
from ..auth.state import state_of
from ..auth.users import User, UserError, name_problem, normal_name
from ..errors import BadRequest
from . import json_response
from .body import kind_of, pointer_of
from .executions import read_json

bp = Blueprint("users", __name__)

DETAILS = {"display_name": 128, "email": 256}  # field -> most characters
NEW_FIELDS = ("name", "role", "password", "display_name", "email", "language")
CHANGE_FIELDS = NEW_FIELDS[1:]


@bp.get("/users")
@requires("admin")
def list_users() -> Response:
    """List every user, by name (never their password hashes)."""
    return json_response({"users": [user.as_dict() for user in state_of().users.all()]})


@bp.post("/users")
@requires("admin")
def add_user() -> Response:
    """Add a user with a role and a password; 201 with the user."""
    body = read_json()
    problems = user_problems(body, NEW_FIELDS, new=True)
    if problems:
        raise BadRequest.fields(problems)
    user = changed(lambda users: users.add(
        body["name"], body["role"], body["password"],
        **{key: body.get(key) for key in ("display_name", "email", "language")}))
    audit("user_added", "user", user.name, {"role": user.role})
    response = json_response(user.as_dict(), status=201)
    response.headers["Location"] = url_for(".change_user", name=user.name)
    return response


@bp.patch("/users/<name>")
@requires("admin")
def change_user(name: str) -> Response:
    """Change a user's role, password, display name, e-mail or language."""
    body = read_json()
    problems = user_problems(body, CHANGE_FIELDS, new=False)
    if problems:
        raise BadRequest.fields(problems)
    user = changed(lambda users: users.update(name, **body))
    state, identity = state_of(), current_identity()
    if "password" in body:  # a new password ends the user's other signed-in browsers
        keep = identity.session_key if identity and identity.user_id == user.id else None
        state.sessions.close_all(user.id, keep=keep)
    audit("user_changed", "user", user.name,
          {"fields": sorted(body), **({"role": user.role} if "role" in body else {})})
    return json_response(user.as_dict())


@bp.delete("/users/<name>")
@requires("admin")
def remove_user(name: str) -> Response:
    """Remove a user and end their sessions; 204."""
    user = changed(lambda users: users.remove(name))
    audit("user_removed", "user", user.name, {"role": user.role})
    return Response(status=204)


def changed(change: Any) -> User:
    """Run a change on the user store; its refusals become the API's errors."""
    try:
        return change(state_of().users)
    except UserError as exc:
        if exc.code == "bad_request":
            raise BadRequest(str(exc)) from None
        raise refusal(exc.code, str(exc)) from None


def user_problems(body: Any, fields: tuple[str, ...], *, new: bool) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a user body."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object of {', '.join(fields)}, not {kind_of(body)}")]
    problems = [(pointer_of(key), f"is not a field here (expected {', '.join(fields)})")
                for key in body if key not in fields]
    if new:
        problems += [(f"/{key}", "is required") for key in ("name", "role", "password")
                     if key not in body]
    checks = {"name": lambda value: name_problem(normal_name(value) if isinstance(value, str)
                                                 else value),
              "password": password_problem,
              "role": lambda value: None if value in ROLES else f"must be one of "
                                                                f"{', '.join(ROLES)}",
              "language": lambda value: None if value in LANGUAGES else f"must be one of "
                                                                        f"{', '.join(LANGUAGES)}"}
    for key, check in checks.items():
        if key in body and key in fields:
            problem = check(body[key])
            if problem:
                problems.append((f"/{key}", problem))
    for key, most in DETAILS.items():
        value = body.get(key)
        if key in body and value is not None and (not isinstance(value, str) or len(value) > most
                                                   or "\x00" in value):
            problems.append((f"/{key}", f"must be a string of at most {most} characters (no NUL), "
                                        f"or null"))
    return problems
