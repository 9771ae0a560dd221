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
    """One row per session in WAL mode: reads on a connection per thread, writes on one.

    SQLite lets one writer in at a time and makes the others wait in whole milliseconds. So the
    threads of a process write through one connection behind a lock, where they queue in
    microseconds, and a writer that finds another process's write in progress retries after a
    short, growing pause instead of SQLite's millisecond sleeps.
    """

    def __init__(self, path: str | Path, busy_timeout_s: float = 10.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._busy_timeout_s = busy_timeout_s
        self._write_lock = threading.Lock()
        self._writer = self._connect(wait_s=0)
        self._writer.executescript(_SCHEMA)

    def _connect(self, wait_s: float) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=wait_s, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL survives a process crash; only a power cut may lose
        # the last commits, which is the trade every embedded session store makes.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect(wait_s=self._busy_timeout_s)
        return conn

    def _write(self, sql: str, params: tuple) -> int:
        """Run one write statement; return how many rows it changed."""
        deadline = time.monotonic() + self._busy_timeout_s
        pause = 0.0001
        with self._write_lock:
            while True:
                try:
                    return self._writer.execute(sql, params).rowcount
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                time.sleep(pause)  # another process is writing: it takes microseconds
                pause = min(pause * 2, 0.005)

    def get(self, session_id: str) -> Session | None:
        row = self._connection().execute(
            "SELECT data FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return Session.loads(row[0]) if row else None

    def save(self, session: Session) -> None:
        session.updated_at = time.time()
        expected, session.rev = session.rev, session.rev + 1
        data = session.dumps()
        if expected == 0:
            changed = self._write(
                "INSERT OR IGNORE INTO sessions (id, flow_id, status, rev, updated_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session.id, session.flow_id, session.status, session.rev, session.updated_at, data))
        else:
            changed = self._write(
                "UPDATE sessions SET status = ?, rev = ?, updated_at = ?, data = ? "
                "WHERE id = ? AND rev = ?",
                (session.status, session.rev, session.updated_at, data, session.id, expected))
        if changed != 1:
            session.rev = expected
            raise StaleSession(f"session {session.id} was changed by another turn")

    def delete(self, session_id: str) -> None:
        self._write("DELETE FROM sessions WHERE id = ?", (session_id,))

    def expire(self, before: float) -> int:
        """Delete every session last saved before `before` (unix seconds); return how many."""
        return self._write("DELETE FROM sessions WHERE updated_at < ?", (before,))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._writer.close()
