"""Sessions in SQLite: the embedded default, safe across threads and worker processes."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ..session import Session
from .base import SessionStore, StaleSession, conversation_key

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
CREATE TABLE IF NOT EXISTS conversations (
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  flow_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (channel, address, flow_id)
);
CREATE INDEX IF NOT EXISTS conversations_session ON conversations(session_id);
CREATE TABLE IF NOT EXISTS inbound_messages (
  channel TEXT NOT NULL,
  message_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  at REAL NOT NULL,
  PRIMARY KEY (channel, message_id)
);
"""
_UNINDEX = "DELETE FROM conversations WHERE session_id = ?"
_INDEX = ("INSERT OR REPLACE INTO conversations (channel, address, flow_id, session_id) "
          "VALUES (?, ?, ?, ?)")


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
        # A checkpoint copies the WAL into the database and syncs it to disk; left automatic it
        # runs inside whichever save crosses the threshold and that request waits for the disk.
        # A background thread checkpoints instead, without blocking writers (PASSIVE).
        self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, daemon=True,
                                              name="sessions-checkpoint")
        self._checkpointer.start()

    def _connect(self, wait_s: float) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=wait_s, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL survives a process crash; only a power cut may lose
        # the last commits, which is the trade every embedded session store makes.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _checkpoint_loop(self, every_s: float = 1.0) -> None:
        conn = self._connect(wait_s=0)
        try:
            while not self._closing.wait(every_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.OperationalError:
                    pass  # another process is checkpointing: this one's turn comes next time
        finally:
            conn.close()

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

    def _write_together(self, statements: list[tuple[str, tuple]]) -> int:
        """Run statements in one transaction if the first changes exactly one row; return its count."""
        deadline = time.monotonic() + self._busy_timeout_s
        pause = 0.0001
        with self._write_lock:
            while True:
                try:
                    self._writer.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, 0.005)
            try:
                changed = self._writer.execute(*statements[0]).rowcount
                if changed == 1:
                    for statement in statements[1:]:
                        self._writer.execute(*statement)
                    self._writer.execute("COMMIT")
                else:
                    self._writer.execute("ROLLBACK")
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
        return changed

    def get(self, session_id: str) -> Session | None:
        row = self._connection().execute(
            "SELECT data FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return Session.loads(row[0]) if row else None

    def save(self, session: Session) -> None:
        session.updated_at = time.time()
        expected, session.rev = session.rev, session.rev + 1
        data = session.dumps()
        if expected == 0:
            statement = (
                "INSERT OR IGNORE INTO sessions (id, flow_id, status, rev, updated_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session.id, session.flow_id, session.status, session.rev, session.updated_at, data))
        else:
            statement = (
                "UPDATE sessions SET status = ?, rev = ?, updated_at = ?, data = ? "
                "WHERE id = ? AND rev = ?",
                (session.status, session.rev, session.updated_at, data, session.id, expected))
        key = conversation_key(session)
        if key is not None:
            changed = self._write_together([statement, (_UNINDEX, (session.id,)),
                                            (_INDEX, (*key, session.id))])
        elif session.contact.get("from"):  # it may have been indexed while it waited
            changed = self._write_together([statement, (_UNINDEX, (session.id,))])
        else:  # web chat and the like: never indexed, one statement as before
            changed = self._write(*statement)
        if changed != 1:
            session.rev = expected
            raise StaleSession(f"session {session.id} was changed by another turn")

    def delete(self, session_id: str) -> None:
        self._write("DELETE FROM sessions WHERE id = ?", (session_id,))
        self._write(_UNINDEX, (session_id,))

    def open_session(self, channel: str, address: str, flow_id: str) -> str | None:
        row = self._connection().execute(
            "SELECT session_id FROM conversations WHERE channel = ? AND address = ? AND flow_id = ?",
            (channel, address, flow_id)).fetchone()
        return row[0] if row else None

    def claim_message(self, channel: str, message_id: str) -> str | None:
        if self._write("INSERT OR IGNORE INTO inbound_messages (channel, message_id, session_id, at) "
                       "VALUES (?, ?, '', ?)", (channel, message_id, time.time())) == 1:
            return None
        row = self._connection().execute(
            "SELECT session_id FROM inbound_messages WHERE channel = ? AND message_id = ?",
            (channel, message_id)).fetchone()
        return row[0] if row else ""

    def settle_message(self, channel: str, message_id: str, session_id: str | None) -> None:
        if session_id is None:
            self._write("DELETE FROM inbound_messages WHERE channel = ? AND message_id = ?",
                        (channel, message_id))
        else:
            self._write("UPDATE inbound_messages SET session_id = ? WHERE channel = ? AND "
                        "message_id = ?", (session_id, channel, message_id))

    def expire(self, before: float) -> int:
        """Delete every session last saved before `before` (unix seconds); return how many.

        Message ids received before then are forgotten too: a sender redelivers within minutes.
        """
        count = self._write("DELETE FROM sessions WHERE updated_at < ?", (before,))
        self._write("DELETE FROM conversations WHERE session_id NOT IN (SELECT id FROM sessions)", ())
        self._write("DELETE FROM inbound_messages WHERE at < ?", (before,))
        return count

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._closing.set()
        self._checkpointer.join(timeout=5)
        self._writer.close()
