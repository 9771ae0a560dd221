"""Periodic jobs: recover interrupted deliveries, expire old sessions, roll up the step log."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from huey import crontab
from sqlalchemy import and_, case, delete, func, insert, select, update

from runtime.records import not_simulated
from runtime.records.schema import rollup_marks as marks
from runtime.records.schema import step_rollups as rollups
from runtime.records.schema import steps as steps_table
from runtime.sessions import REDIS_SCHEMES, RedisSessionStore, SqliteSessionStore

from . import callbacks
from .delivery import delivery_task
from .ledger import SENDING
from .queue import TaskQueue

log = logging.getLogger(__name__)
# Sessions not saved for this long are gone: a waiting conversation is abandoned, an ended one
# has answered "session ended" long enough. Its steps stay in the execution log.
SESSION_TTL_S = 7 * 24 * 3600.0
DAY_S = 24 * 3600

def register(queue: TaskQueue) -> None:
    """Put the periodic jobs on a queue (they run in consumers started with periodic on)."""
    queue.periodic(crontab(minute="*"), recover_deliveries)
    queue.periodic(crontab(minute="*/15"), clean_up_sessions)
    queue.periodic(crontab(minute="5"), roll_up)


def requeue_stuck(queue: TaskQueue, lease_s: float | None = None,
                  now: float | None = None) -> int:
    """Queue again the deliveries whose worker died mid-send or whose due attempt never ran.

    Huey delivers at most once; this turns it into at least once, and the ledger's claim into
    exactly once. A message that has used up its attempts is marked failed, never dropped.
    """
    config, ledger = queue.config, queue.ledger
    lease = config.lease_s if lease_s is None else lease_s
    moment = time.time() if now is None else now
    queued = 0
    for row in ledger.stuck(lease, moment, overdue_s=config.overdue_s if lease_s is None
                            else lease):
        key, attempts = row["key"], row["attempts"]
        reason = "interrupted: no word from its worker within the lease" \
            if row["state"] == SENDING else "its queued attempt never started"
        if attempts > config.retries:
            ledger.fail(key, attempts, f"gave up after {attempts} attempts; last: "
                        f"{row['last_error'] or reason}", moment, state=row["state"])
            log.warning("message %s failed: %d attempts used up", key, attempts)
            continue
        # moving the row on first means a second recovery run (another consumer's) skips it
        if not ledger.release(key, row["state"], attempts, row["last_error"] or reason, moment):
            continue  # its worker finished, or another recovery took it, meanwhile
        retries = config.retries - attempts
        if row["channel"] == callbacks.CHANNEL:
            queue.put(callbacks.callback_task(queue, key, row["payload"], retries=retries))
        else:
            queue.put(delivery_task(queue, key, row["payload"], retries=retries))
        queued += 1
        log.warning("message %s queued again: %s", key, reason)
    return queued


def watch_deliveries(queue: TaskQueue, stop: threading.Event) -> None:
    """Until `stop` is set, look every quarter lease for deliveries their worker left behind.

    Every worker process runs this (the ledger's compare-and-set lets one of them take each
    message): an interrupted delivery goes out again within about a lease and a quarter, not
    at the next minute's periodic job.
    """
    every = queue.config.lease_s / 4
    while not stop.wait(every):
        try:
            requeue_stuck(queue)
        except Exception as exc:  # the database or queue away for a moment: look again soon
            log.warning("looking for interrupted deliveries failed: %s", exc)


def expire_sessions(queue: TaskQueue, now: float | None = None,
                    ttl_s: float = SESSION_TTL_S) -> int:
    """Delete sessions of the SQLite or Redis store not saved within `ttl_s`; return how many."""
    url = queue.config.sessions_url
    if url.startswith(REDIS_SCHEMES):
        store: SqliteSessionStore | RedisSessionStore = RedisSessionStore(url)
    elif url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.exists():
            return 0
        store = SqliteSessionStore(path)
    else:
        return 0  # in-memory stores die with their process
    try:
        return store.expire((time.time() if now is None else now) - ttl_s)
    finally:
        store.close()


def roll_up_steps(queue: TaskQueue) -> int:
    """Recount steps, sessions and errors per flow and UTC day for days with new steps.

    Return how many days were recounted. A day is recounted whole, so running twice, or
    after steps arrive late, gives the same counts.
    """
    with queue.records.engine.begin() as conn:
        mark = conn.execute(select(marks.c.value).where(marks.c.name == "steps")).scalar()
        since = mark or 0
        first, last, top = conn.execute(
            select(func.min(steps_table.c.at), func.max(steps_table.c.at), func.max(steps_table.c.id))
            .where(steps_table.c.id > since)).one()
        if top is None:
            return 0
        days = _days(first, last)
        for day, start in days:
            _recount(conn, day, start)
        if mark is None:
            conn.execute(insert(marks).values(name="steps", value=top))
        else:
            conn.execute(update(marks).where(marks.c.name == "steps").values(value=top))
    return len(days)


def _days(first: float, last: float) -> list[tuple[str, float]]:
    """Return (ISO date, start as unix seconds) of every UTC day from `first` to `last`."""
    day = datetime.fromtimestamp(first, timezone.utc).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
    days = []
    while day.timestamp() <= last:
        days.append((day.date().isoformat(), day.timestamp()))
        day += timedelta(days=1)
    return days


def _recount(conn, day: str, start: float) -> None:
    """Replace one day's roll-up rows with fresh counts from the step log."""
    steps = steps_table.c
    counts = conn.execute(
        select(steps.flow_id, func.count(), func.count(steps.session_id.distinct()),
               func.sum(case((steps.exit == "error", 1), else_=0)))
        .where(and_(steps.at >= start, steps.at < start + DAY_S),
               not_simulated(steps.session_id))
        .group_by(steps.flow_id)).all()
    conn.execute(delete(rollups).where(rollups.c.day == day))
    if counts:
        conn.execute(insert(rollups), [
            {"flow_id": flow_id, "day": day, "steps": total, "sessions": sessions, "errors": errors}
            for flow_id, total, sessions, errors in counts])


def rollup_rows(queue: TaskQueue) -> list[dict]:
    """Return the roll-up rows, by day then flow."""
    with queue.records.engine.connect() as conn:
        rows = conn.execute(select(rollups).order_by(rollups.c.day, rollups.c.flow_id))
        return [dict(row) for row in rows.mappings()]


def recover_deliveries(queue: TaskQueue) -> int:
    """Every minute: queue again the deliveries that interrupted workers left behind."""
    return requeue_stuck(queue)


def clean_up_sessions(queue: TaskQueue) -> int:
    """Every quarter hour: delete sessions not saved for SESSION_TTL_S."""
    return expire_sessions(queue)


def roll_up(queue: TaskQueue) -> int:
    """Every hour: recount the step log's per-flow, per-day totals."""
    return roll_up_steps(queue)
