"""The ports' clock: real time at speed 1, accelerated K times at speed K, or virtual.

A virtual clock runs on a `VirtualTimeLoop`, an asyncio loop whose time jumps to its next timer
whenever nothing is ready to run: a scenario runs as fast as the CPU allows, and what it
measures stays in its own (virtual) seconds whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class Clock:
    """Seconds since the clock started, passing `speed` times faster than real time.

    At speed K, `sleep(s)` waits s/K real seconds and `now()` advances K seconds per real
    second, so a 60 s scenario runs in 60/K s while every duration it reports stays in the
    scenario's own (virtual) seconds. Timers run on the running asyncio loop.
    """

    virtual = False  # True: time jumps ahead when idle (VirtualClock)

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be above 0, not {speed!r}")
        self.speed = float(speed)
        self._origin = time.monotonic()

    def now(self) -> float:
        """Return the (virtual) seconds since the clock started."""
        return (time.monotonic() - self._origin) * self.speed

    def real(self, seconds: float) -> float:
        """Return how many seconds of the running loop `seconds` of this clock last."""
        return max(0.0, seconds) / self.speed

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock."""
        await asyncio.sleep(self.real(seconds))

    async def sleep_until(self, moment: float) -> None:
        """Wait until `now()` reaches `moment` (at once when it has)."""
        await asyncio.sleep(self.real(moment - self.now()))

    def call_later(self, seconds: float, callback: Callable[..., Any],
                   *args: Any) -> asyncio.TimerHandle:
        """Call `callback(*args)` on the running loop after `seconds` of this clock."""
        return asyncio.get_running_loop().call_later(self.real(seconds), callback, *args)


REAL_TIME = Clock()  # speed 1: what real lines (SIP, a PBX) run on


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time: with nothing ready to run, time jumps to the next timer.

    Real work the loop waits for cannot be skipped: while any is in progress (executor jobs,
    and whatever runs inside `hold()`), the loop's time passes at the real rate and the loop
    waits for it in real time, so a timeout around a network request means real seconds.
    """

    def __init__(self) -> None:
        self._now = time.monotonic()
        self._holds = 0
        self._held_since = 0.0  # real time when the first hold of those in progress began
        super().__init__(_VirtualSelector(selectors.DefaultSelector(), self))

    def time(self) -> float:
        """Return the loop's (virtual) time."""
        if self._holds:
            return self._now + (time.monotonic() - self._held_since)
        return self._now

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep time at the real rate while the block runs (it waits on the world)."""
        self._hold()
        try:
            yield
        finally:
            self._unhold()

    def holding(self, function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        """Return `function` (a coroutine function) held for as long as each call runs."""
        async def held(*args: Any, **kwargs: Any) -> T:
            with self.hold():
                return await function(*args, **kwargs)
        return held

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> asyncio.Future:
        """Run `func` on an executor, holding time until it is done (DNS look-ups, threads)."""
        self._hold()  # before the job starts: its thread may be under way before submit returns
        try:
            future = super().run_in_executor(executor, func, *args)
        except BaseException:
            self._unhold()
            raise
        future.add_done_callback(lambda _: self._unhold())
        return future

    def _hold(self) -> None:
        if not self._holds:
            self._held_since = time.monotonic()
        self._holds += 1

    def _unhold(self) -> None:
        self._now = self.time()  # the real time the holds lasted stays on the clock
        self._held_since = time.monotonic()
        self._holds -= 1

    def _advance(self, seconds: float) -> None:
        self._now += seconds


class _VirtualSelector(selectors.BaseSelector):
    """The loop's selector: polls for I/O, then moves virtual time instead of sleeping."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._real = real
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Any:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list:
        """Return ready I/O; when there is none, let `timeout` of virtual time pass at once."""
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        loop = self._loop
        if loop._holds:  # waiting on the world: its time passes by itself, at the real rate
            return self._real.select(timeout)
        if timeout is None:  # nothing is due: only the world (a thread) can wake the loop
            started = time.monotonic()
            events = self._real.select(None)
            loop._advance(time.monotonic() - started)
            return events
        loop._advance(timeout)
        return []


class VirtualClock(Clock):
    """Seconds of a `VirtualTimeLoop` since the clock was made: as fast as the CPU allows."""

    virtual = True

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self.speed = 1.0  # one virtual second per second of its loop
        self.loop = loop
        self._origin = loop.time()

    def now(self) -> float:
        """Return the virtual seconds since the clock was made."""
        return self.loop.time() - self._origin
