"""One event loop per thread, so synchronous servers (WSGI) can drive the async engine cheaply."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")
_local = threading.local()


def thread_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's event loop, creating it on first use."""
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on this thread's event loop."""
    return thread_loop().run_until_complete(coro)


def close_thread_loop() -> None:
    """Close this thread's event loop, if it has one (a thread that is about to end)."""
    loop = getattr(_local, "loop", None)
    if loop is not None:
        _local.loop = None
        loop.close()
