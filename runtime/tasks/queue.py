"""The task queue of one workspace: a Huey instance made from its settings, with the tasks on it.

Whoever starts a runtime makes its queue (`open_queue` in runtime.tasks.catalogue) and hands it
to what needs it: the runtime queues work on it, and `callwright worker` builds its consumer from
it, so producer and consumer agree on task names. There is no queue made at import.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any, Callable

from huey.api import Huey, Task, TaskWrapper
from huey.consumer import Consumer
from huey.signals import SIGNAL_INTERRUPTED

from blocks.sdk import BlockError, ConfigurationError

from runtime.records import RecordsDatabase

from .config import QUEUE_NAME, QueueUnavailable, TaskConfig, build_huey, storage_errors
from .heartbeats import Heartbeats
from .ledger import DeliveryLedger

log = logging.getLogger(__name__)
# queues one named task's payload under an idempotency key: producer(queue, payload, key)
Producer = Callable[["TaskQueue", dict, str], None]
# queues several payloads of one task at once: batch(queue, [(payload, key), ...])
BatchProducer = Callable[["TaskQueue", list[tuple[dict, str]]], None]


class TaskQueue:
    """A workspace's Huey instance, the tasks registered on it and the ledger they share."""

    def __init__(self, config: TaskConfig, records: RecordsDatabase | None = None,
                 name: str = QUEUE_NAME) -> None:
        self.config = config
        self.huey: Huey = build_huey(config, name)
        self.tasks: dict[str, TaskWrapper] = {}
        self._producers: dict[str, Producer] = {}
        self._batches: dict[str, BatchProducer] = {}
        # the runtime's records database when it gave one; else opened here on first use
        self._records = records
        self._own_records = False
        self._ledger: DeliveryLedger | None = None
        self._heartbeats: Heartbeats | None = None
        self._lock = threading.Lock()
        # the runtime whose sessions, flows and ports the tasks work with; it binds itself
        self._runtime: Any = None
        # the queue of outbound calls, worked by the voice nodes that own the lines (the
        # catalogue makes it beside the main queue)
        self.lines: TaskQueue | None = None

    # --- what task modules register -----------------------------------------------------------

    def task(self, function: Callable[..., Any], *, context: bool = False) -> TaskWrapper:
        """Register `function(queue, *args)` as a Huey task named after it; return its wrapper."""
        wrapper = self.huey.task(context=context)(self._bound(function))
        self.tasks[function.__name__] = wrapper
        return wrapper

    def periodic(self, schedule: Callable, function: Callable[..., Any]) -> TaskWrapper:
        """Register `function(queue)` to run on a crontab `schedule` in consumers with periodic on."""
        wrapper = self.huey.periodic_task(schedule)(self._bound(function))
        self.tasks[function.__name__] = wrapper
        return wrapper

    def producer(self, name: str, function: Producer, batch: BatchProducer | None = None) -> None:
        """Make `function(queue, payload, key)` what `enqueue(name, ...)` calls, and `batch`
        (when given) what `enqueue_all(name, ...)` calls."""
        self._producers[name] = function
        if batch is not None:
            self._batches[name] = batch

    def on_interrupted(self, name: str, function: Callable[[TaskQueue, Task], None]) -> None:
        """Call `function(queue, task)` when a stopping worker interrupts a task of that name."""
        task_class = self.tasks[name].task_class

        def interrupted(signal: str, task: Task, *args: Any) -> None:
            """Hand an interrupted task of this kind to its handler."""
            if isinstance(task, task_class):
                function(self, task)
        self.huey.signal(SIGNAL_INTERRUPTED)(interrupted)

    def _bound(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Return `function` with this queue as its first argument, keeping its name and module."""
        @functools.wraps(function)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return function(self, *args, **kwargs)
        return bound

    # --- what producers and tasks use ---------------------------------------------------------

    def enqueue(self, task: str, payload: dict, key: str) -> str:
        """Queue a named task with its payload under an idempotency key; return the key."""
        producer = self._producers.get(task)
        if producer is None:
            known = ", ".join(sorted(self._producers)) or "none"
            raise BlockError(f"unknown task {task!r}: the known tasks are {known}")
        producer(self, payload, key)
        return key

    def enqueue_all(self, task: str, jobs: list[tuple[dict, str]]) -> None:
        """Queue several payloads of one task, in order, each under its idempotency key."""
        batch = self._batches.get(task)
        if batch is not None and task in self._producers:
            batch(self, jobs)
            return
        for payload, key in jobs:
            self.enqueue(task, payload, key)

    def put(self, task: Task) -> None:
        """Put a task on the queue; raise QueueUnavailable naming the queue when it cannot."""
        try:
            self.huey.enqueue(task)
        except storage_errors() as exc:
            log.warning("cannot queue %s on %s: %s", task.name, self.config.where, exc)
            raise QueueUnavailable(f"the task queue at {self.config.where} is unavailable: "
                                   f"{exc}") from exc

    def put_all(self, tasks: list[Task]) -> bool:
        """Put tasks on the queue in one write, all or none; False (nothing put) when this
        queue's storage cannot, and the caller puts them one by one."""
        storage = self.huey.storage
        if self.config.immediate or not hasattr(storage, "enqueue_all"):
            return False
        try:
            storage.enqueue_all([self.huey.serialize_task(task) for task in tasks])
        except storage_errors() as exc:
            log.warning("cannot queue %d tasks on %s: %s", len(tasks), self.config.where, exc)
            raise QueueUnavailable(f"the task queue at {self.config.where} is unavailable: "
                                   f"{exc}") from exc
        return True

    @property
    def records(self) -> RecordsDatabase:
        """Return the records database the tasks keep their ledger and figures in."""
        with self._lock:
            if self._records is None:
                self._records = RecordsDatabase(self.config.database_url,
                                                migrate=self.config.migrate)
                self._own_records = True
            return self._records

    @property
    def ledger(self) -> DeliveryLedger:
        """Return the delivery ledger in the records database."""
        if self._ledger is None:
            self._ledger = DeliveryLedger(self.records.engine)
        return self._ledger

    @property
    def heartbeats(self) -> Heartbeats:
        """Return this process's heartbeats, renewing the leases of the messages it sends."""
        ledger = self.ledger  # before the lock: it takes the lock itself
        with self._lock:
            if self._heartbeats is None:
                self._heartbeats = Heartbeats(ledger, self.config.lease_s / 4)
            return self._heartbeats

    def bind(self, runtime: Any) -> None:
        """Give the tasks the runtime whose sessions, flows and ports they work with."""
        self._runtime = runtime
        if self.lines is not None:
            self.lines.bind(runtime)

    @property
    def runtime(self) -> Any:
        """Return the bound runtime; campaigns and calls need one."""
        if self._runtime is None:
            raise ConfigurationError("this task queue serves no runtime: open the workspace "
                                     "with runtime.Runtime.open, which binds its queue")
        return self._runtime

    def consumer(self, *, workers: int, periodic: bool, max_delay: float,
                 shutdown_timeout: float | None = None) -> Consumer:
        """Return a Huey consumer of this queue: `workers` threads, polling at most `max_delay` s;
        a graceful stop waits `shutdown_timeout` s at most for the tasks running (None: all)."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                         initial_delay=0.1, backoff=1.15, max_delay=max_delay,
                                         check_worker_health=True,
                                         shutdown_timeout=shutdown_timeout)

    def close(self) -> None:
        """Release the queue's storage, and the records database if the queue opened it."""
        with self._lock:
            records, own = self._records, self._own_records
            self._records, self._own_records, self._ledger = None, False, None
            if self._heartbeats is not None:
                self._heartbeats.close()
                self._heartbeats = None
        if records is not None and own:
            records.close()
        if self.lines is not None:
            self.lines.close()
        self.huey.storage.close()


__all__ = ["BatchProducer", "Producer", "TaskQueue"]
