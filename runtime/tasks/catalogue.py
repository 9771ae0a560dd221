"""Every task of the product, put on a workspace's queues by `open_queue`."""

from __future__ import annotations

from runtime.records import RecordsDatabase

from . import alerts, callbacks, calls, campaign_runs, delivery, periodic
from .config import LINES_QUEUE, TaskConfig
from .queue import TaskQueue

MODULES = (delivery, callbacks, calls, campaign_runs, periodic, alerts)


def open_queue(config: TaskConfig, records: RecordsDatabase | None = None) -> TaskQueue:
    """Return a configuration's task queue with every task, producer and periodic job on it,
    and beside it (`queue.lines`) the queue of outbound calls that voice nodes work."""
    queue = TaskQueue(config, records)
    queue.lines = TaskQueue(config, records, name=LINES_QUEUE)
    calls.register_lines(queue.lines)
    for module in MODULES:
        module.register(queue)
    return queue
