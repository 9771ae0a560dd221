"""The execution log: every step of every session, in SQLAlchemy (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from runtime.jsontext import dump_text
from runtime.sessions import Session

from .schema import executions as executions_table
from .schema import steps as steps_table

log = logging.getLogger(__name__)


class ExecutionLog:
    """Records the steps of each turn; written behind the turn by one thread, in batches.

    The session itself is saved before a turn answers; its step records follow within
    `flush_s`, so a busy chat API does not pay a database round trip per step.
    """

    def __init__(self, engine: Engine, flush_s: float = 0.2) -> None:
        self.engine = engine
        self._pending: list[tuple] = []
        self._sessions: dict[str, tuple] = {}  # the latest summary of each session, by id
        self._insert, self._upsert = _statements(self.engine.dialect.paramstyle)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._flush_s = flush_s
        self._thread = threading.Thread(target=self._writer, name="execution-log", daemon=True)
        self._thread.start()

    def record(self, session: Session, steps: list[tuple]) -> None:
        """Queue the steps of one turn, and where its session stands, for writing."""
        at, session_id, turn = time.time(), session.id, session.turns
        rows = [(session_id, turn, flow_id, block, exit_name, round(seconds * 1000, 3),
                 dump_text(changes, default=str) if changes else "[]",
                 note, at)
                for flow_id, block, exit_name, seconds, changes, note in steps]
        # listed under the flow it started in, even while inside a subflow
        root = session.frames[0] if session.frames else session
        summary = (session_id, root.flow_id, root.flow_version, session.channel, session.status,
                   session.disposition, turn, session.steps,
                   bool(session.trigger.get("simulation")), session.started_at, at)
        with self._lock:
            self._pending.extend(rows)
            self._sessions[session_id] = summary

    def steps(self, session_id: str) -> list[dict]:
        """Return the recorded steps of a session, oldest first (after pending writes land)."""
        if "\x00" in session_id:
            return []  # no session has it, and PostgreSQL refuses it in a query outright
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(select(steps_table).where(steps_table.c.session_id == session_id)
                                .order_by(steps_table.c.id)).mappings().all()
        return [{**row, "changes": json.loads(row["changes"])} for row in rows]

    def flush(self) -> None:
        """Write everything recorded so far, now."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
                sessions, self._sessions = list(self._sessions.values()), {}
            if rows or sessions:
                try:
                    with self.engine.begin() as conn:
                        # the driver's own executemany: a batch of thousands of rows a second
                        # costs microseconds each, not SQLAlchemy's per-row compilation
                        if rows:
                            conn.exec_driver_sql(self._insert, rows)
                        if sessions:
                            conn.exec_driver_sql(self._upsert, sessions)
                except Exception:  # the log must never take the runtime down; say so loudly
                    log.exception("could not write %d execution steps", len(rows))

    def recent(self, flow_id: str, *, limit: int = 50, before: float | None = None,
               simulations: bool = False) -> list[dict]:
        """Return a flow's sessions, the most recently active first (after pending writes land)."""
        if "\x00" in flow_id:
            return []  # no flow has it, and PostgreSQL refuses it in a query outright
        self.flush()
        table = executions_table
        query = select(table).where(table.c.flow_id == flow_id)
        if not simulations:
            query = query.where(table.c.simulation.is_(False))
        if before is not None:
            query = query.where(table.c.updated_at < before)
        query = query.order_by(table.c.updated_at.desc(), table.c.session_id).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def forget(self, session_ids: list[str]) -> int:
        """Remove the steps and summaries of sessions (an erased contact's); return the steps."""
        self.flush()
        removed = 0
        with self.engine.begin() as conn:
            for start in range(0, len(session_ids), 500):
                chunk = session_ids[start:start + 500]
                removed += conn.execute(delete(steps_table)
                                        .where(steps_table.c.session_id.in_(chunk))).rowcount
                conn.execute(delete(executions_table)
                             .where(executions_table.c.session_id.in_(chunk)))
        return removed

    def close(self) -> None:
        """Write what is recorded and stop the writer."""
        self._stop.set()
        self._thread.join(timeout=30)
        self.flush()

    def _writer(self) -> None:
        # wakes on a timer, never per record, so a busy turn loop is not interrupted per step
        while not self._stop.wait(self._flush_s):
            self.flush()


_COLUMNS = ("session_id", "turn", "flow_id", "block", "exit", "ms", "changes", "note", "at")
_SUMMARY = ("session_id", "flow_id", "flow_version", "channel", "status", "disposition", "turns",
            "steps", "simulation", "started_at", "updated_at")
_CHANGING = ("flow_version", "status", "disposition", "turns", "steps", "updated_at")


def _statements(paramstyle: str) -> tuple[str, str]:
    """Return the step INSERT and the session summary upsert in the driver's parameter style."""
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(paramstyle)
    if mark is None:
        raise ValueError(f"database driver parameter style {paramstyle!r} is not supported")
    insert = (f"INSERT INTO steps ({', '.join(_COLUMNS)}) "
              f"VALUES ({', '.join([mark] * len(_COLUMNS))})")
    # the same ON CONFLICT clause in SQLite (3.24+) and PostgreSQL
    upsert = (f"INSERT INTO executions ({', '.join(_SUMMARY)}) "
              f"VALUES ({', '.join([mark] * len(_SUMMARY))}) ON CONFLICT (session_id) DO UPDATE "
              f"SET {', '.join(f'{name} = excluded.{name}' for name in _CHANGING)}")
    return insert, upsert


def not_simulated(session_id: Any) -> Any:
    """Return a condition on a session id column that leaves out the editor's simulations.

    Figures and alerts count what contacts lived through, not an analyst trying a draft.
    """
    simulated = select(executions_table.c.session_id).where(executions_table.c.simulation.is_(True))
    return session_id.not_in(simulated)
