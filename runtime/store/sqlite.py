"""Sessions in SQLite: the embedded default, safe across threads and worker processes."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ..session import Session
from .base import SessionStore, StaleSession

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  flow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  rev INTEGER NOT NULL,
  updated_at REAL NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(status, updated_at);
"""


class SqliteSessionStore(SessionStore):
    """One row per session in WAL mode; one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL survives a process crash; only a power cut may lose
            # the last commits, which is the trade every embedded session store makes.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, session_id: str) -> Session | None:
        row = self._connection().execute(
            "SELECT data FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return Session.loads(row[0]) if row else None

    def save(self, session: Session) -> None:
        conn = self._connection()
        session.updated_at = time.time()
        expected, session.rev = session.rev, session.rev + 1
        data = session.dumps()
        if expected == 0:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO sessions (id, flow_id, status, rev, updated_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session.id, session.flow_id, session.status, session.rev, session.updated_at, data))
        else:
            cursor = conn.execute(
                "UPDATE sessions SET status = ?, rev = ?, updated_at = ?, data = ? "
                "WHERE id = ? AND rev = ?",
                (session.status, session.rev, session.updated_at, data, session.id, expected))
        if cursor.rowcount != 1:
            session.rev = expected
            raise StaleSession(f"session {session.id} was changed by another turn")

    def delete(self, session_id: str) -> None:
        self._connection().execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
