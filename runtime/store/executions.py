"""The execution log: every step of every session, in SQLAlchemy (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, create_engine,
                        event, insert, select)

from ..session import Session

log = logging.getLogger(__name__)
metadata = MetaData()
steps_table = Table(
    "steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("turn", Integer, nullable=False),
    Column("flow_id", String(128), nullable=False),
    Column("block", String(128), nullable=False),
    Column("exit", String(128)),
    Column("ms", Float, nullable=False),
    Column("changes", Text, nullable=False),
    Column("note", Text),
    Column("at", Float, nullable=False),
)


class ExecutionLog:
    """Records the steps of each turn; written behind the turn by one thread, in batches.

    The session itself is saved before a turn answers; its step records follow within
    `flush_s`, so a busy chat API does not pay a database round trip per step.
    """

    def __init__(self, url: str, flush_s: float = 0.2, batch: int = 2000) -> None:
        self.engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._flush_s = flush_s
        self._batch = batch
        self._thread = threading.Thread(target=self._writer, name="execution-log", daemon=True)
        self._thread.start()

    def record(self, session: Session, steps: list[tuple]) -> None:
        """Queue the steps of one turn for writing."""
        at = time.time()
        for flow_id, block, exit_name, seconds, changes, note in steps:
            self._queue.put({
                "session_id": session.id, "turn": session.turns, "flow_id": flow_id,
                "block": block, "exit": exit_name, "ms": round(seconds * 1000, 3),
                "changes": json.dumps(changes, ensure_ascii=False, default=str), "note": note,
                "at": at})

    def steps(self, session_id: str) -> list[dict]:
        """Return the recorded steps of a session, oldest first (after pending writes land)."""
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(select(steps_table).where(steps_table.c.session_id == session_id)
                                .order_by(steps_table.c.id)).mappings().all()
        return [{**row, "changes": json.loads(row["changes"])} for row in rows]

    def flush(self) -> None:
        """Wait until everything queued so far is written."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout=30)

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        self.engine.dispose()

    def _writer(self) -> None:
        while True:
            rows, waiters, stop = self._drain()
            if rows:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(steps_table), rows)
                except Exception:  # the log must never take the runtime down; say so loudly
                    log.exception("could not write %d execution steps", len(rows))
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _drain(self) -> tuple[list[dict], list[threading.Event], bool]:
        rows: list[dict] = []
        waiters: list[threading.Event] = []
        item = self._queue.get()
        deadline = time.monotonic() + self._flush_s
        while True:
            if item is None:
                return rows, waiters, True
            if isinstance(item, threading.Event):
                waiters.append(item)
                return rows, waiters, False
            rows.append(item)
            if len(rows) >= self._batch:
                return rows, waiters, False
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return rows, waiters, False


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
