"""Every task of the product, put on a workspace's queue by `open_queue`."""

from __future__ import annotations

from runtime.records import RecordsDatabase

from . import alerts, callbacks, calls, campaign_runs, delivery, periodic
from .config import TaskConfig
from .queue import TaskQueue

MODULES = (delivery, callbacks, calls, campaign_runs, periodic, alerts)


def open_queue(config: TaskConfig, records: RecordsDatabase | None = None) -> TaskQueue:
    """Return a configuration's task queue with every task, producer and periodic job on it."""
    queue = TaskQueue(config, records)
    for module in MODULES:
        module.register(queue)
    return queue
