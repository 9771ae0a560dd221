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
from .ledger import DeliveryLedger

log = logging.getLogger(__name__)
# queues one named task's payload under an idempotency key: producer(queue, payload, key)
Producer = Callable[["TaskQueue", dict, str], None]


class TaskQueue:
    """A workspace's Huey instance, the tasks registered on it and the ledger they share."""

    def __init__(self, config: TaskConfig, records: RecordsDatabase | None = None,
                 name: str = QUEUE_NAME) -> None:
        self.config = config
        self.huey: Huey = build_huey(config, name)
        self.tasks: dict[str, TaskWrapper] = {}
        self._producers: dict[str, Producer] = {}
        # the runtime's records database when it gave one; else opened here on first use
        self._records = records
        self._own_records = False
        self._ledger: DeliveryLedger | None = None
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

    def producer(self, name: str, function: Producer) -> None:
        """Make `function(queue, payload, key)` what `enqueue(name, ...)` calls."""
        self._producers[name] = function

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

    def put(self, task: Task) -> None:
        """Put a task on the queue; raise QueueUnavailable naming the queue when it cannot."""
        try:
            self.huey.enqueue(task)
        except storage_errors() as exc:
            log.warning("cannot queue %s on %s: %s", task.name, self.config.where, exc)
            raise QueueUnavailable(f"the task queue at {self.config.where} is unavailable: "
                                   f"{exc}") from exc

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
        if records is not None and own:
            records.close()
        if self.lines is not None:
            self.lines.close()
        self.huey.storage.close()


__all__ = ["Producer", "TaskQueue"]
