"""Signed-in browsers: the cookie holds a random id, the `web_sessions` table its SHA-256.

A session lasts 12 hours after its last use (sliding) and ends on sign-out, on a change of its
user's password and with its user.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from runtime.records.schema import users, web_sessions

from .users import User, user_of_row

TTL_S = 12 * 3600.0
TOUCH_EVERY_S = 60.0  # the expiry slides at most once a minute: not a write per request


@dataclass(frozen=True)
class WebSession:
    """A browser's session: whose it is and its CSRF token."""

    id_hash: str
    user: User
    csrf_token: str
    expires_at: float


def id_hash(session_id: str) -> str:
    """Return the stored form of a cookie's session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class WebSessionStore:
    """The browser sessions of one records database."""

    def __init__(self, engine: Engine, ttl_s: float = TTL_S) -> None:
        self.engine = engine
        self.ttl_s = ttl_s

    def open(self, user_id: int, *, password_hash: str | None = None) -> tuple[str, str] | None:
        """Start a session for a user; return the cookie's session id and the CSRF token.

        With `password_hash` (the hash a sign-in checked its password against), None when the
        user has gone or has another password by now: a change made while the password was
        being checked ends every session, and must end this one too.
        """
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.begin() as conn:
            # sign-ins are rare: a good moment to drop every session that has run out (and, on
            # SQLite, to take the write lock before the user's row is read again)
            conn.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
            if password_hash is not None:
                row = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)
                                   .with_for_update(read=True)).first()
                if row is None or row.password_hash != password_hash:
                    return None
            conn.execute(web_sessions.insert().values(
                id_hash=id_hash(session_id), user_id=user_id, csrf_token=csrf, created_at=now,
                last_seen_at=now, expires_at=now + self.ttl_s))
        return session_id, csrf

    def find(self, session_id: str) -> WebSession | None:
        """Return the live session of a cookie's id (its expiry slid on), None if there is none."""
        key = id_hash(session_id)
        session = web_sessions.c
        query = (select(users, session.csrf_token, session.last_seen_at, session.expires_at)
                 .join_from(web_sessions, users, users.c.id == session.user_id)
                 .where(session.id_hash == key))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        now = time.time()
        if row is None or row.expires_at <= now:
            return None
        expires_at = row.expires_at
        if now - row.last_seen_at > TOUCH_EVERY_S:
            expires_at = now + self.ttl_s
            with self.engine.begin() as conn:
                conn.execute(web_sessions.update().where(web_sessions.c.id_hash == key)
                             .values(last_seen_at=now, expires_at=expires_at))
        return WebSession(key, user_of_row(row), row.csrf_token, expires_at)

    def close(self, key: str) -> None:
        """End one session, named by its stored hash."""
        with self.engine.begin() as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.id_hash == key))

    def close_all(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of a user but `keep` (a stored hash); return how many ended."""
        condition = web_sessions.c.user_id == user_id
        if keep is not None:
            condition = condition & (web_sessions.c.id_hash != keep)
        with self.engine.begin() as conn:
            return conn.execute(web_sessions.delete().where(condition)).rowcount
