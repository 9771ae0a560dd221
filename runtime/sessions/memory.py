"""Sessions in a dict: for tests and single-run tools such as `simulate`."""

from __future__ import annotations

import threading

from .session import Session
from .store import SessionStore, StaleSession, conversation_key


class MemorySessionStore(SessionStore):
    """Keeps serialised sessions in memory, with the same revision rule as every store."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, str]] = {}
        self._open: dict[tuple[str, str, str], str] = {}  # conversation key -> session id
        self._keys: dict[str, tuple[str, str, str]] = {}  # session id -> its conversation key
        self._messages: dict[tuple[str, str], str] = {}  # (channel, message id) -> session id
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
            self._unindex(session.id)
            key = conversation_key(session)
            if key is not None:
                replaced = self._open.get(key)
                if replaced is not None:
                    self._keys.pop(replaced, None)
                self._open[key] = session.id
                self._keys[session.id] = key

    def _unindex(self, session_id: str) -> None:
        """Take a session out of the conversation index (caller holds the lock)."""
        key = self._keys.pop(session_id, None)
        if key is not None and self._open.get(key) == session_id:
            del self._open[key]

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._rows.pop(session_id, None)
            self._unindex(session_id)

    def open_session(self, channel: str, address: str, flow_id: str) -> str | None:
        return self._open.get((channel, address, flow_id))

    def claim_message(self, channel: str, message_id: str) -> str | None:
        with self._lock:
            seen = self._messages.get((channel, message_id))
            if seen is None:
                self._messages[(channel, message_id)] = ""
            return seen

    def settle_message(self, channel: str, message_id: str, session_id: str | None) -> None:
        with self._lock:
            if session_id is None:
                self._messages.pop((channel, message_id), None)
            else:
                self._messages[(channel, message_id)] = session_id
