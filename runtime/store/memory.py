"""Sessions in a dict: for tests and single-run tools such as `simulate`."""

from __future__ import annotations

import threading

from ..session import Session
from .base import SessionStore, StaleSession


class MemorySessionStore(SessionStore):
    """Keeps serialised sessions in memory, with the same revision rule as every store."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> Session | None:
        row = self._rows.get(session_id)
        return Session.loads(row[1]) if row else None

    def save(self, session: Session) -> None:
        with self._lock:
            current = self._rows.get(session.id, (0, ""))[0]
            if current != session.rev:
                raise StaleSession(f"session {session.id} was changed by another turn")
            session.rev += 1
            self._rows[session.id] = (session.rev, session.dumps())

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._rows.pop(session_id, None)
