"""Who is asking: a signed-in user (cookie), an API token (Bearer) or the local admin."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from ..errors import ERROR_STATUS, ApiError
from .addresses import client_address, forwarded, host_is_loopback, is_loopback
from .cookies import LANGUAGE_COOKIE, SESSION_COOKIE
from .roles import LANGUAGES, role_allows
from .state import AuthState, state_of
from .tokens import settings_token_index

KINDS = ("user", "token", "local")
LOCAL_NAME = "local"
CHALLENGE = 'Bearer realm="callwright"'


@dataclass(frozen=True)
class Identity:
    """Who is asking, and with which role.

    `kind` is `user` (a browser signed in with a session cookie), `token` (an API token sent as
    `Authorization: Bearer`: a token of the table, or one of `[api] tokens`, which are admin
    tokens) or `local` (a request from this machine to a loopback server that has no users).
    `name` is the user's name, the token's name, or "local"; `display_name` and `email` are
    what a git commit's author is made of (`email` may be empty).
    """

    name: str
    role: str
    kind: str
    display_name: str
    email: str = ""
    language: str = "en"
    user_id: int | None = None  # kind user: the users row
    token_id: str | None = None  # kind token: the api_tokens row (None for [api] tokens)
    session_key: str | None = None  # kind user: the web session's stored hash
    csrf_token: str | None = None  # what writes must send as X-CSRF-Token (None for tokens)

    def allows(self, role: str) -> bool:
        """Return whether this identity may do what needs `role`."""
        return role_allows(self.role, role)

    @property
    def author(self) -> str:
        """Return "Display Name <email>" (or the name alone) for versions and git commits."""
        return f"{self.display_name} <{self.email}>" if self.email else self.display_name


def refusal(code: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    """Return the ApiError of an access error code, its status from builder.errors' table."""
    return ApiError(message, code=code, status=ERROR_STATUS[code], headers=headers)


def current_identity() -> Identity | None:
    """Return who is asking in this request, or None when nobody could be recognised.

    Inside any view that is not public this is never None: the app refuses the request before
    the view runs. Resolved once per request. A Bearer token that is wrong raises 401
    `unauthorized`, whatever the view.
    """
    if "callwright_identity" not in g:
        g.callwright_identity = resolve(state_of())
    return g.callwright_identity


def resolve(state: AuthState) -> Identity | None:
    """Return the identity of the current request's credentials, or None when it has none."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        return _bearer(state, authorization)
    session_id = request.cookies.get(SESSION_COOKIE)
    user = session_identity(state, session_id) if session_id else None
    if user is not None:
        return user
    if is_local_request(state) and not state.users.any():
        language = request.cookies.get(LANGUAGE_COOKIE)
        return Identity(LOCAL_NAME, "admin", "local", "Local admin",
                        language=language if language in LANGUAGES else "en",
                        csrf_token=state.local_csrf)
    return None


def is_local_request(state: AuthState) -> bool:
    """Return whether the request comes from this machine to a server bound to loopback only."""
    return (is_loopback(state.bind_host) and is_loopback(request.remote_addr)
            and not forwarded(request) and host_is_loopback(request.host))


def _bearer(state: AuthState, authorization: str) -> Identity:
    """Return the identity of an `Authorization: Bearer` token, or raise 401 unauthorized."""
    scheme, _, text = authorization.strip().partition(" ")
    text = text.strip()
    if scheme.lower() != "bearer" or not text:
        raise refusal("unauthorized", "send the API token as Authorization: Bearer <token>",
                      {"WWW-Authenticate": CHALLENGE})
    index = settings_token_index(text, state.settings_tokens())
    if index is not None:
        return Identity(f"api-token-{index + 1}", "admin", "token", f"[api] tokens #{index + 1}")
    token = state.tokens.find(text)
    if token is None and not (state.settings_tokens() or state.tokens.any() or state.users.any()):
        raise refusal("api_tokens_not_configured",  # no way in at all: say how to make one
                      "this server has no users and no API tokens: make a token (callwright "
                      "token add NAME --role R) or set [api] tokens in callwright.toml (or "
                      "CALLWRIGHT_API_TOKENS, comma-separated)")
    if token is None:
        raise refusal("unauthorized", "the API token is not one of this server's tokens",
                      {"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'})
    return Identity(token.name, token.role, "token", token.name, token_id=token.id)


def session_identity(state: AuthState, session_id: str) -> Identity | None:
    """Return the identity of a session cookie's id, None when its session has ended."""
    session = state.sessions.find(session_id)
    if session is None:
        return None
    user = session.user
    return Identity(user.name, user.role, "user", user.display_name or user.name, user.email,
                    user.language, user_id=user.id, session_key=session.id_hash,
                    csrf_token=session.csrf_token)


def address() -> str:
    """Return the address of the client of the current request (past trusted proxies)."""
    return client_address(request, state_of().trusted)
