"""API tokens for scripts and CI: `cw_<id>_<secret>`, each with a role; only a hash is kept.

Besides the table, the tokens of `[api] tokens` (CALLWRIGHT_API_TOKENS) are admin tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from runtime.records.schema import api_tokens

from .roles import ROLES

PREFIX = "cw_"
SHAPE = re.compile(r"^cw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
TOUCH_EVERY_S = 60.0  # last_used_at is refreshed at most this often: not a write per request
# who made a token: a user's name, or a token's name (up to 128), cut to the column
MAX_CREATED_BY = api_tokens.c.created_by.type.length


@dataclass(frozen=True)
class ApiToken:
    """A token of the table, less its secret."""

    id: str
    name: str
    role: str
    created_by: str | None
    created_at: float
    last_used_at: float | None

    def as_dict(self) -> dict[str, Any]:
        """Return the token's JSON form (never the secret)."""
        return {"id": self.id, "name": self.name, "role": self.role, "created_by": self.created_by,
                "created_at": self.created_at, "last_used_at": self.last_used_at}


def _hash(secret: str) -> str:
    """Return the SHA-256 of a token's secret: random enough that no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: Any) -> ApiToken:
    """Return an ApiToken from a row of `api_tokens`."""
    return ApiToken(row.id, row.name, row.role, row.created_by, row.created_at, row.last_used_at)


class TokenStore:
    """The API tokens of one records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, role: str, created_by: str | None = None) -> tuple[ApiToken, str]:
        """Make a token; return it and its text `cw_<id>_<secret>`, which is shown only now."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        created_by = None if created_by is None else created_by[:MAX_CREATED_BY]
        with self.engine.begin() as conn:
            conn.execute(api_tokens.insert().values(
                id=token_id, name=name, role=role, secret_hash=_hash(secret),
                created_by=created_by, created_at=time.time(), last_used_at=None))
        found = self.get(token_id)
        assert found is not None
        return found, f"{PREFIX}{token_id}_{secret}"

    def any(self) -> bool:
        """Return whether the table holds at least one token."""
        with self.engine.connect() as conn:
            return conn.execute(select(api_tokens.c.id).limit(1)).first() is not None

    def all(self) -> list[ApiToken]:
        """Return every token, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at))
            return [_token(row) for row in rows]

    def get(self, token_id: str) -> ApiToken | None:
        """Return a token by id, None when there is none."""
        if not re.fullmatch(r"[0-9a-f]{16}", token_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return None if row is None else _token(row)

    def remove(self, token_id: str) -> ApiToken | None:
        """Remove a token; return it, or None when there was none."""
        token = self.get(token_id)
        if token is not None:
            with self.engine.begin() as conn:
                conn.execute(api_tokens.delete().where(api_tokens.c.id == token_id))
        return token

    def find(self, text: str) -> ApiToken | None:
        """Return the token a bearer text names when its secret matches, else None."""
        match = SHAPE.match(text)
        if match is None:
            return None
        token_id, secret = match.groups()
        with self.engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        now = time.time()
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY_S:
            with self.engine.begin() as conn:
                conn.execute(api_tokens.update().where(api_tokens.c.id == token_id)
                             .values(last_used_at=now))
        return _token(row)


def settings_token_index(text: str, tokens: list[str]) -> int | None:
    """Return the index of a token among `[api] tokens`, comparing each in constant time."""
    given = text.encode("utf-8")
    found = None
    for index, candidate in enumerate(tokens):  # no early exit: the time says nothing of which
        if hmac.compare_digest(given, candidate.encode("utf-8")) and found is None:
            found = index
    return found
