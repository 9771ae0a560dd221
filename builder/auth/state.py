"""What the auth package keeps per app: its stores over the records database and its settings."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask, current_app

from blocks.sdk import ConfigurationError
from runtime import Runtime

from .addresses import Network, trusted_networks
from .audit_log import AuditLog
from .rate_limit import SignInLimit
from .tokens import TokenStore
from .users import UserStore
from .web_sessions import WebSessionStore

EXTENSION = "callwright.auth"
DEFAULT_BIND = "127.0.0.1"  # what `create_app` assumes when serve has not said where it listens
# serve gives its workers one local-mode CSRF token, so that every worker accepts it
LOCAL_CSRF_VARIABLE = "CALLWRIGHT_LOCAL_CSRF_TOKEN"


@dataclass
class AuthState:
    """The stores and settings that decide who is asking."""

    runtime: Runtime
    users: UserStore
    tokens: TokenStore
    sessions: WebSessionStore
    limit: SignInLimit
    log: AuditLog
    bind_host: str
    trusted: list[Network]
    local_csrf: str

    def settings_tokens(self) -> list[str]:
        """Return `[api] tokens` as the workspace has them now."""
        return list(self.runtime.workspace.settings.get("api", {}).get("tokens") or [])


def make_state(runtime: Runtime, environ: Mapping[str, str] = os.environ) -> AuthState:
    """Return the auth state of a runtime; [server] host is where serve listens."""
    if runtime.records is None:
        raise ConfigurationError("users and tokens live in the records database: open the "
                                 "runtime with Runtime.open (it has none)")
    engine = runtime.records.engine
    settings = runtime.workspace.settings
    try:
        trusted = trusted_networks(settings)
    except ValueError as exc:
        raise ConfigurationError(f"[server] trusted_proxies: {exc}") from None
    return AuthState(runtime, UserStore(engine), TokenStore(engine), WebSessionStore(engine),
                     SignInLimit(engine), AuditLog(engine),
                     settings.get("server", {}).get("host") or DEFAULT_BIND, trusted,
                     environ.get(LOCAL_CSRF_VARIABLE) or secrets.token_urlsafe(32))


def state_of(app: Flask | None = None) -> AuthState:
    """Return the auth state of an app (the current one by default)."""
    return (app or current_app).extensions[EXTENSION]
