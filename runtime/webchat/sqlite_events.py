"""Chat messages in an SQLite file that every process of one machine's `serve` opens.

Appends come from the HTTP workers (turns) and the task worker (`send` on chat); each process
that has widgets listening polls for rows above the last id it saw, one query every
`POLL_S` for all of its streams.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from .events import KEEP, TTL_S, ChatEvents, Listener, Message, stamped

POLL_S = 0.1  # a pushed message reaches a listening widget within this (plus the network)
BATCH = 500  # rows read per poll
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation TEXT NOT NULL,
  key TEXT UNIQUE,
  at REAL NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_events_of ON chat_events (conversation, id);
"""


class SqliteChatEvents(ChatEvents):
    """Keeps chat messages in one SQLite file (WAL: readers never wait on the writer)."""

    def __init__(self, path: Path, busy_timeout_s: float = 10.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # a writer for every thread of the process, one append at a time, and a reader of its
        # own: in WAL mode reads never wait for a writer, so the listener, which reads on the
        # event loop, is never held up by an append waiting for another process's write
        self._conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        self._reader = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None,
                                       check_same_thread=False)
        self._read_lock = threading.Lock()

    def append(self, conversation: str, message: Message, key: str | None = None) -> int:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        now = time.time()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO chat_events (conversation, key, at, body) "
                    "VALUES (?, ?, ?, ?)", (conversation, key, now, body))
                if cursor.rowcount == 0:  # the key was kept before: a retried delivery
                    row = self._conn.execute("SELECT id FROM chat_events WHERE key = ?",
                                             (key,)).fetchone()
                    self._conn.execute("COMMIT")
                    return int(row[0])
                new_id = int(cursor.lastrowid or 0)
                oldest = self._conn.execute(  # the newest message past the kept ones
                    "SELECT id FROM chat_events WHERE conversation = ? ORDER BY id DESC "
                    "LIMIT 1 OFFSET ?", (conversation, KEEP)).fetchone()
                if oldest is not None:
                    self._conn.execute("DELETE FROM chat_events WHERE conversation = ? AND id <= ?",
                                       (conversation, oldest[0]))
                if new_id % 1000 == 0:  # now and then, forget conversations gone quiet
                    self._conn.execute("DELETE FROM chat_events WHERE at < ?", (now - TTL_S,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return new_id

    def since(self, conversation: str, after: int) -> list[Message]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT id, body FROM chat_events WHERE conversation = ? AND id > ? ORDER BY id",
                (conversation, after)).fetchall()
        return [stamped(json.loads(body), row_id) for row_id, body in rows]

    def _after(self, last: int) -> list[tuple[int, str, str]]:
        with self._read_lock:
            return self._reader.execute(
                "SELECT id, conversation, body FROM chat_events WHERE id > ? ORDER BY id LIMIT ?",
                (last, BATCH)).fetchall()

    async def listen(self, deliver: Listener, ready: Callable[[], None] = lambda: None) -> None:
        with self._read_lock:
            last = self._reader.execute(
                "SELECT COALESCE(MAX(id), 0) FROM chat_events").fetchone()[0]
        ready()
        while True:
            await asyncio.sleep(POLL_S)
            # a read of an index in WAL mode takes microseconds: on the loop, not on a thread
            for row_id, conversation, body in self._after(last):
                last = row_id
                deliver(conversation, row_id, stamped(json.loads(body), row_id))

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._conn.close()
            self._reader.close()

