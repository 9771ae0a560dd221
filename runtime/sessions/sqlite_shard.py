"""One SQLite file of the session store: its connections, its write lock and its tables."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
# Ids that `Session.new_id` did not make (random ids of stores before it; tests' own): their
# order says nothing of their time, so a partial index keeps those rows in time order for
# `expire`. The expression must read the same in the index and in the query that uses it.
LEGACY_ID = "NOT (length(id) = 32 AND substr(id, 13, 1) = '7')"
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      flow_id TEXT NOT NULL,
      status TEXT NOT NULL,
      rev INTEGER NOT NULL,
      updated_at REAL NOT NULL,
      data TEXT NOT NULL)""",
    # `expire` finds old sessions by their ids, which begin with the time they were made: an
    # index on the time of the last save cost every save a third more pages in the WAL (~8%
    # of chat throughput, benchmarks/chat.sh). Earlier files had one, on (status, updated_at).
    "DROP INDEX IF EXISTS sessions_updated",
    "DROP INDEX IF EXISTS sessions_expiry",
    f"CREATE INDEX IF NOT EXISTS sessions_legacy_expiry ON sessions(updated_at) WHERE {LEGACY_ID}",
    # the index row of a session lives in the session's own file, so one transaction writes both
    """CREATE TABLE IF NOT EXISTS conversations (
      channel TEXT NOT NULL,
      address TEXT NOT NULL,
      flow_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      updated_at REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (channel, address, flow_id))""",
    "CREATE INDEX IF NOT EXISTS conversations_session ON conversations(session_id)",
    """CREATE TABLE IF NOT EXISTS inbound_messages (
      channel TEXT NOT NULL,
      message_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      at REAL NOT NULL,
      PRIMARY KEY (channel, message_id))""",
    # shard 0 records how many files the store has (`shards`); the others leave it empty
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]
# Files written before the store was sharded have no time on their index rows: take the session's.
_ADD_INDEX_TIME = [
    "ALTER TABLE conversations ADD COLUMN updated_at REAL NOT NULL DEFAULT 0",
    "UPDATE conversations SET updated_at = "
    "COALESCE((SELECT updated_at FROM sessions WHERE id = session_id), 0)",
]


class _Connection(sqlite3.Connection):
    """A connection that can be tracked weakly (the C type takes no weak references)."""


class Shard:
    """One database file in WAL mode: reads on a connection per thread, writes on one.

    SQLite lets one writer in at a time and makes the others wait in whole milliseconds. So the
    threads of a process write through one connection behind a lock, where they queue in
    microseconds, and a writer that finds another process's write in progress retries after a
    short, growing pause instead of SQLite's millisecond sleeps. `:memory:` is one private
    database: its reads go through the writer, behind the same lock.
    """

    def __init__(self, path: str, busy_timeout_s: float) -> None:
        self.path = path
        self.memory = path == ":memory:"
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._checkpointer: sqlite3.Connection | None = None
        # writes of this process since its last complete checkpoint, and when that began
        # (`checkpoint_due`): a process that wrote nothing copies nothing
        self._writes = 0
        self._copied_at = time.monotonic()
        # SQLite's own busy wait is fine while the file is set up (two processes may create it
        # at once); after that the writer fails fast and `_retry` paces it
        self._writer = self._connect(busy_timeout_s)
        # Checkpoints copy the WAL into the database and sync both files, milliseconds on a busy
        # disk. The store's background thread does most of that work (`checkpoint`); SQLite's own
        # checkpoint in the save that takes the WAL past 1,000 pages stays as the backstop,
        # since only a save can start the WAL over (a checkpoint on its own never caught up
        # with saves arriving meanwhile: the WAL grew to 470 MB per file in 45 s). With most
        # frames already copied, that save has little left to sync.
        try:
            with self.transaction() as conn:
                for statement in _SCHEMA:
                    conn.execute(statement)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
                if "updated_at" not in columns:
                    for statement in _ADD_INDEX_TIME:
                        conn.execute(statement)
            self._writer.execute("PRAGMA busy_timeout=0")
            self._writes = 0  # laying the file out is no save: every process opening it does
        except BaseException:
            self._writer.close()
            raise

    def _connect(self, wait_s: float) -> _Connection:
        conn = sqlite3.connect(self.path, timeout=wait_s, isolation_level=None,
                               check_same_thread=False, factory=_Connection)
        try:
            # WAL with synchronous=NORMAL survives a process crash; only a power cut may lose
            # the last commits, which is the trade every embedded session store makes. (Set
            # first, a new file's switch to WAL syncs less.)
            conn.execute("PRAGMA synchronous=NORMAL")
            # while another process switches a new file to WAL, this fails at once, without
            # SQLite's busy wait: try again as a write would
            self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"), wait_s)
        except BaseException:
            conn.close()
            raise
        return conn

    def _retry(self, attempt: Callable[[], T], wait_s: float | None = None) -> T:
        """Run a write, pausing briefly while another process holds the file's write lock."""
        deadline = time.monotonic() + (self._busy_timeout_s if wait_s is None else wait_s)
        pause = 0.0001
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)  # another process is writing: it takes microseconds
            pause = min(pause * 2, 0.005)

    def execute(self, sql: str, params: tuple = ()) -> int:
        """Run one write statement on its own; return how many rows it changed."""
        with self._lock:
            changed = self._retry(lambda: self._writer.execute(sql, params).rowcount)
            self._writes += 1
            return changed

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the file's write lock in one transaction: committed at the end, undone on error."""
        with self._lock:
            conn = self._writer
            self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield conn
                conn.execute("COMMIT")
                self._writes += 1
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Return the rows of a query, as last committed."""
        if self.memory:
            with self._lock:
                return self._writer.execute(sql, params).fetchall()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect(self._busy_timeout_s)
            self._readers.add(conn)
        return conn.execute(sql, params).fetchall()

    def checkpoint_due(self, writes: int, after_s: float) -> bool:
        """Say whether this process wrote `writes` times since its last complete checkpoint, or
        wrote at all and began that checkpoint `after_s` seconds ago or more."""
        pending = self._writes
        return pending >= writes or (pending > 0 and
                                     time.monotonic() - self._copied_at >= after_s)

    def checkpoint(self) -> None:
        """Copy the WAL's new pages into the database, without waiting for or blocking writers,
        if this process wrote since its last complete checkpoint.

        Called from one thread only. Every process of `serve` opens the store; the ones that
        write nothing (the voice and mail processes while the web workers take the chats) leave
        the copying to the ones that do. Another process's checkpoint in progress, or a reader
        still on older pages, leaves the rest to the next call.
        """
        if self.memory:
            return
        with self._lock:  # the writers count under it
            pending, self._writes = self._writes, 0
        if not pending:
            return
        self._copied_at = time.monotonic()
        try:
            if self._checkpointer is None:
                self._checkpointer = self._connect(0)
            busy, logged, copied = self._checkpointer.execute(
                "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            complete = not busy and copied >= logged
        except sqlite3.Error:  # busy, or a disk error the next save will report: not this thread
            complete = False
        if not complete:  # tried again after_s from now (checkpoint_due), or sooner if written
            with self._lock:
                self._writes += 1
            return
        self._restart_wal()

    def _restart_wal(self) -> None:
        """Start a fully copied WAL over from here, so that no save has to.

        The first write after a complete checkpoint starts the WAL file over, and SQLite syncs
        the new WAL header before it goes on, even with synchronous=NORMAL. Left to a save, that
        sync ran on the event loop of a serve worker, holding up every turn queued on it
        (strace of a worker under benchmarks/chat.sh: a fdatasync on its event loop's thread
        every ~140 turns). A write of page 1 that changes nothing (user_version, which the
        store never reads) takes that sync here. It is skipped when another writer has the
        file, which then restarts the WAL itself, as before.
        """
        try:
            conn = self._checkpointer
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close every connection: the writer, the checkpointer's and each thread's reader."""
        for conn in list(self._readers):
            conn.close()
        self._local = threading.local()
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self._lock:
            self._writer.close()
