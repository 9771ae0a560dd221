"""One event loop per thread, so synchronous servers (WSGI) can drive the async engine cheaply."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Coroutine, TypeVar

T = TypeVar("T")
_local = threading.local()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on this thread's event loop (created on first use)."""
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
        _local.resources = {}
    return loop.run_until_complete(coro)


def loop_resource(key: object, factory: Callable[[], T]) -> T:
    """Return an object bound to this thread's event loop (an HTTP client), made once per loop."""
    if getattr(_local, "loop", None) is None:
        _local.loop = asyncio.new_event_loop()
        _local.resources = {}
    resources = _local.resources
    if key not in resources:
        resources[key] = factory()
    return resources[key]
