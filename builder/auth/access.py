"""The role check: every route needs an identity unless public; writes need the CSRF token.

`init_app` installs one check before every Flask view: a view that is not public refuses a
request nobody could be recognised in (401 `sign_in_required`), and a write (POST, PUT, PATCH,
DELETE) made with a session cookie or as the local admin must carry the session's CSRF token in
`X-CSRF-Token` (403 `csrf_failed`); Bearer-token requests need none. `requires` adds the role.
The chat route is answered in front of Flask and never reaches this check.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, request

from runtime import Runtime

from .identity import CHALLENGE, Identity, address, current_identity, refusal
from .roles import ROLES, role_allows
from .state import EXTENSION, make_state, state_of

View = TypeVar("View", bound=Callable[..., Any])
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
PUBLIC = "callwright_public"
CHANGES_NOTHING = "callwright_changes_nothing"


def requires(role: str) -> Callable[[View], View]:
    """Let a view run only for an identity holding `role` (or a higher one).

    Roles, lowest first: `viewer` (read flows, versions, executions, audit, figures), `editor`
    (also draw, save, publish, roll back, run the simulator), `admin` (also users, tokens,
    settings). Use it under the route decorator::

        @bp.post("/flows/<flow_id>/publish")
        @requires("editor")
        def publish(flow_id: str) -> Response: ...

    Nobody recognised: 401 `sign_in_required`; a lower role: 403 `forbidden`. The CSRF token of
    a write is checked before the view whether or not it uses `requires`; call
    `current_identity()` inside the view for who is asking.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if identity is None:
                raise nobody_refusal()
            if not identity.allows(role):
                raise refusal("forbidden", f"this needs the {role} role; {identity.name!r} is "
                                           f"{_article(identity.role)} {identity.role}")
            return view(*args, **kwargs)
        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]
    return decorate


def audit(action: str, target_kind: str, target_id: str | None = None,
          detail: Mapping[str, Any] | None = None) -> None:
    """Record in the audit log that whoever is asking did `action` to a target, now.

    The entry names the actor (`current_identity()`: its name and kind, user, token or local;
    "anonymous" when nobody is recognised), the time and the client's address. `action` is a
    snake_case verb phrase of at most 32 characters (`flow_saved`, `flow_published`,
    `flow_rolled_back`, `flow_deleted`, `user_added`...); `target_kind` what it was done to
    (`flow`, `user`, `token`, `session`); `detail` a small JSON object (a version number, a
    note; never a secret). Call it after the change succeeded: `GET /api/v1/audit` lists it.
    """
    identity = current_identity()
    state_of().log.record(identity.name if identity else "anonymous",
                          identity.kind if identity else "anonymous", action, target_kind,
                          target_id, detail, address())


def public(target: View | Blueprint) -> View | Blueprint:
    """Open a view, or every view of a blueprint and those nested in it, to everyone."""
    setattr(target, PUBLIC, True)
    return target


def changes_nothing(view: View) -> View:
    """Mark a POST view that changes nothing (validate): it needs no CSRF token."""
    setattr(view, CHANGES_NOTHING, True)
    return view


def init_app(app: Flask, runtime: Runtime) -> None:
    """Keep the app's auth state over the runtime's records database and check every request."""
    app.extensions[EXTENSION] = make_state(runtime)
    app.before_request(check_request)


def check_request() -> None:
    """Refuse a request to a non-public view without an identity, or a write without CSRF."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or _is_public(view):
        return  # a 404 or 405 answers itself; public views ask for an identity if they want one
    identity = current_identity()
    if identity is None:
        raise nobody_refusal()
    if request.method in WRITES and not getattr(view, CHANGES_NOTHING, False):
        check_csrf(identity)


def check_csrf(identity: Identity) -> None:
    """Refuse a write by cookie or by the local admin that lacks the session's CSRF token."""
    if identity.kind == "token":
        return  # a Bearer token is sent by a program, never added by a browser on its own
    given = request.headers.get(CSRF_HEADER, "").encode()
    if not identity.csrf_token or not hmac.compare_digest(given, identity.csrf_token.encode()):
        raise refusal("csrf_failed", f"a change made from a browser must send the {CSRF_HEADER} "
                                     f"header that GET /api/v1/session gives")


def nobody_refusal() -> Exception:
    """Return the refusal of a request nobody could be recognised in."""
    state = state_of()
    if not state.users.any() and not state.settings_tokens() and not state.tokens.any():
        return refusal("api_tokens_not_configured",
                       "this server has no users and no API tokens: add a user (callwright user "
                       "add NAME --role admin) or a token (callwright token add NAME --role R), "
                       "or set [api] tokens in callwright.toml (or CALLWRIGHT_API_TOKENS, "
                       "comma-separated); without users only requests from this machine to a "
                       "server on a loopback address, as http://localhost, are let in")
    return refusal("sign_in_required", "sign in (POST /api/v1/session), or send an API token as "
                                       "Authorization: Bearer <token>",
                   {"WWW-Authenticate": CHALLENGE})


def _is_public(view: Callable[..., Any]) -> bool:
    """Return whether a view, or its blueprint, is open to everyone."""
    if getattr(view, PUBLIC, False) or request.endpoint == "static":
        return True
    # a nested blueprint (the editor's pages under the index) is as open as its parents
    return any(getattr(current_app.blueprints.get(name), PUBLIC, False)
               for name in request.blueprints)


def _article(role: str) -> str:
    """Return "an" or "a" for a role's name."""
    return "an" if role[:1] in "aeiou" else "a"


__all__ = ["CSRF_HEADER", "audit", "changes_nothing", "check_csrf", "init_app", "public", "requires",
           "role_allows"]
