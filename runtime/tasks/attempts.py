"""One attempt of a ledgered side effect (a message, a status callback): done once, never lost."""

from __future__ import annotations

import logging
import time
from typing import Callable

from huey.api import Task
from huey.exceptions import CancelExecution, RetryTask

from .config import TaskConfig
from .queue import TaskQueue
from .senders import PermanentFailure, RecipientOptedOut, Sent

log = logging.getLogger(__name__)


def queue_once(queue: TaskQueue, what: str, key: str, row: dict, task: Task) -> bool:
    """Record `row` under `key` in the ledger and queue `task`; False when the key is recorded.

    A key already in the ledger is never queued again, so the same step or turn replayed after a
    crash queues nothing twice; when queueing fails the row is forgotten, so a retry can queue it.
    """
    ledger = queue.ledger
    if not ledger.open(key, row, time.time()):
        log.info("%s %s is already recorded; not queued again", what, key)
        return False
    try:
        queue.put(task)
    except BaseException:
        ledger.forget(key)
        raise
    return True


def queue_all(queue: TaskQueue, what: str, jobs: list[tuple[str, dict, Task]]) -> None:
    """`queue_once` for several (key, row, task) at once: one ledger transaction for all rows.

    The tasks are put in order; when putting one fails, the rows of it and of those after it
    are forgotten (those before it will run), and the error is raised.
    """
    ledger = queue.ledger
    new = set(ledger.open_all([(key, row) for key, row, _ in jobs], time.time()))
    waiting = [(key, task) for key, _, task in jobs if key in new]
    try:
        if waiting and queue.put_all([task for _, task in waiting]):
            waiting = []  # all put at once
    except BaseException:
        for key, _ in waiting:
            ledger.forget(key)
        raise
    for index, (key, task) in enumerate(waiting):
        try:
            queue.put(task)
        except BaseException:
            for later, _ in waiting[index:]:
                ledger.forget(later)
            raise
    for key, _, _ in jobs:
        if key not in new:
            log.info("%s %s is already recorded; not queued again", what, key)


def attempt(queue: TaskQueue, what: str, key: str, payload: dict, task: Task | None,
            act: Callable[[TaskConfig], Sent],
            ready: Callable[[], float | None] | None = None) -> str:
    """Claim the ledger row, do `act` once, and record delivered, retry, failed or opted out.

    A row another worker holds, or that is already delivered or failed, is skipped: the claim is
    what turns Huey's at-most-once into exactly once. A `PermanentFailure` is not retried; any
    other error is, by Huey, with back-off, until the task's retries are used up.

    `ready()`, when given, runs once the row is claimed (so a worker killed while it waits
    leaves a lease that runs out, not a row nobody holds): None to go on, or the seconds after
    which to look again; then the claim is given back uncounted and the task put back by
    `RetryTask`, which uses up none of its retries.
    """
    config, ledger = queue.config, queue.ledger
    number = ledger.claim(key, payload, config.lease_s, time.time())
    if number is None:
        log.info("%s %s: delivered, failed or in hand elsewhere; skipped", what, key)
        return "skipped"
    try:
        with queue.heartbeats.sending(key, number):
            delay = ready() if ready is not None else None
            if delay is not None:
                ledger.unclaim(key, number, time.time() + delay, time.time())
                raise RetryTask(f"{what} {key} waits", delay=delay)
            sent = act(config)
    except RetryTask:
        raise
    except RecipientOptedOut as exc:
        ledger.opted_out(key, number, str(exc), time.time())
        log.info("%s %s not sent: %s", what, key, exc)
        return "opted_out"
    except PermanentFailure as exc:
        ledger.fail(key, number, str(exc), time.time())
        log.warning("%s %s failed for good on attempt %d: %s", what, key, number, exc)
        raise CancelExecution(str(exc), retry=False) from exc
    except Exception as exc:  # anything else may pass: Huey retries it with back-off
        error = str(exc) or type(exc).__name__
        if task is not None and task.retries > 0:
            ledger.retry(key, number, error, time.time() + (task.retry_delay or 0), time.time())
            log.warning("%s %s attempt %d failed, %d retries left: %s",
                        what, key, number, task.retries, error)
        else:
            ledger.fail(key, number, error, time.time())
            log.warning("%s %s failed after %d attempts: %s", what, key, number, error)
        raise
    ledger.delivered(key, number, time.time(), sent.segments)
    if sent.segments is None:
        log.info("%s %s delivered to %s on attempt %d", what, key, sent.where, number)
    else:
        log.info("%s %s delivered to %s on attempt %d in %d segment(s)", what, key, sent.where,
                 number, sent.segments)
    return "delivered"


def requeue_interrupted(queue: TaskQueue, task: Task) -> None:
    """Put a task that a stopping worker interrupted back on the queue, due now."""
    key = task.args[0]
    ledger = queue.ledger
    row = ledger.get(key)
    if row is not None and row["state"] == "sending":
        ledger.release(key, "sending", row["attempts"], "interrupted: the worker stopped",
                       time.time())
    queue.huey.enqueue(task)
    log.warning("%s %s was interrupted by a stopping worker; queued again", task.name, key)
