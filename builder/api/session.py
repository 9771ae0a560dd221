"""The browser's session: who is signed in, signing in and out, and the editor's language."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, request

from ..auth import LANGUAGES, Identity, audit, current_identity, public, requires
from ..auth.addresses import over_tls
from ..auth.cookies import (SESSION_COOKIE, clear_session_cookie, set_language_cookie,
                            set_session_cookie)
from ..auth.identity import address, refusal, session_identity
from ..auth.passwords import (MAX_LENGTH, hash_password, needs_rehash, spend_verify_time,
                              verify_password)
from ..auth.state import AuthState, state_of
from ..auth.users import normal_name
from ..auth.web_sessions import id_hash
from ..errors import BadRequest
from . import json_response
from .body import kind_of, pointer_of
from .executions import read_json

bp = Blueprint("session", __name__)

SIGN_IN_FIELDS = ("name", "password")
MAX_NAME = 256


def session_body(identity: Identity) -> dict[str, Any]:
    """Return the JSON answer saying who is signed in and the CSRF token of their writes."""
    return {"user": {"name": identity.name, "role": identity.role,
                     "display_name": identity.display_name, "language": identity.language},
            "csrf_token": identity.csrf_token, "local_mode": identity.kind == "local"}


@bp.get("/session")
@public
def get_session() -> Response:
    """Say who is signed in (or that this is the local admin), with the CSRF token; else 401."""
    identity = current_identity()
    if identity is None:
        raise refusal("sign_in_required", "nobody is signed in: POST /api/v1/session with "
                                          "{name, password}")
    return json_response(session_body(identity))


@bp.post("/session")
@public
def sign_in() -> Response:
    """Check a name and password; on success start a session and set its cookie."""
    name, password = sign_in_fields(read_json())
    state, client = state_of(), address()
    wait = state.limit.attempt(name, client)  # counted as a failure until it succeeds
    if wait is not None:
        raise refusal("too_many_attempts", f"too many failed sign-ins: try again in {wait} s",
                      {"Retry-After": str(wait)})
    row = state.users.with_hash(name)
    if row is None:
        spend_verify_time(password)  # an unknown name takes as long as a wrong password
    opened = None if row is None else open_session(state, row, password)
    identity = None if opened is None else session_identity(state, opened[0])
    if opened is None or identity is None:
        state.log.record(name[:128], "anonymous", "sign_in_failed", "session", name[:128],
                         {}, client)
        raise refusal("invalid_credentials", "the name or the password is wrong")
    state.limit.succeeded(name, client, attempted=True)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a browser signing in again leaves no session of its own behind
        state.sessions.close(id_hash(previous))
    state.log.record(row.name, "user", "sign_in", "session", row.name, {}, client)
    response = json_response(session_body(identity))
    set_session_cookie(response, opened[0], secure=over_tls(request, state.trusted))
    return response


def open_session(state: AuthState, row: Any, password: str) -> tuple[str, str] | None:
    """Check a user's password and open a session on the hash it matched (session id, CSRF).

    None when the password is wrong, or when the user has gone or has another password by
    now: a change made while the password was checked (argon2 takes its time) ends every
    session, this one too, and is never undone by the stronger hash of the old password.
    """
    checked = row.password_hash
    if not verify_password(checked, password):
        return None
    if needs_rehash(checked):
        stronger = hash_password(password)
        if state.users.set_hash(row.id, stronger, replacing=checked):
            checked = stronger
    return state.sessions.open(row.id, password_hash=checked)


@bp.delete("/session")
@requires("viewer")
def sign_out() -> Response:
    """End this browser's session and clear its cookie."""
    identity = current_identity()
    assert identity is not None
    state = state_of()
    if identity.session_key is not None:
        state.sessions.close(identity.session_key)
        audit("sign_out", "session", identity.name)
    response = Response(status=204)
    if SESSION_COOKIE in request.cookies:
        clear_session_cookie(response, secure=over_tls(request, state.trusted))
    return response


@bp.patch("/session")
@requires("viewer")
def set_language() -> Response:
    """Set the editor's language of whoever is signed in (en, ru)."""
    body = read_json()
    problems = patch_problems(body)
    if problems:
        raise BadRequest.fields(problems)
    identity = current_identity()
    assert identity is not None
    state, language = state_of(), body["language"]
    if identity.kind == "user":
        state.users.update(identity.name, language=language)
    changed = dataclasses.replace(identity, language=language)
    response = json_response(session_body(changed))
    if identity.kind == "local":
        set_language_cookie(response, language, secure=over_tls(request, state.trusted))
    return response


def sign_in_fields(body: Any) -> tuple[str, str]:
    """Return the (normalised name, password) of a sign-in body, or raise 400."""
    if not isinstance(body, dict):
        raise BadRequest.fields([("", f"must be a JSON object {{name, password}}, not "
                                      f"{kind_of(body)}")])
    problems = [(f"/{field}", "is required and must be a string")
                for field in SIGN_IN_FIELDS if not isinstance(body.get(field), str)]
    if isinstance(body.get("name"), str) and len(body["name"]) > MAX_NAME:
        problems.append(("/name", f"must be at most {MAX_NAME} characters"))
    if isinstance(body.get("password"), str) and len(body["password"]) > MAX_LENGTH:
        problems.append(("/password", f"must be at most {MAX_LENGTH} characters"))
    problems += [(pointer_of(key), "is not a field of a sign-in (expected name, password)")
                 for key in body if key not in SIGN_IN_FIELDS]
    if problems:
        raise BadRequest.fields(problems)
    return normal_name(body["name"]), body["password"]


def patch_problems(body: Any) -> list[tuple[str, str]]:
    """Return the problems of a PATCH /session body {language}."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object {{language}}, not {kind_of(body)}")]
    problems = [(pointer_of(key), "is not a field of the session (expected language)")
                for key in body if key != "language"]
    if body.get("language") not in LANGUAGES:
        problems.append(("/language", f"must be one of {', '.join(LANGUAGES)}"))
    return problems
