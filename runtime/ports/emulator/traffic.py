"""Inbound traffic: calls arriving as a Poisson process, each offered to a port pool."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable

from runtime.ports.clock import Clock
from runtime.ports.pool import PortPool
from runtime.ports.port import NULL, Port

log = logging.getLogger(__name__)


async def poisson_arrivals(rate: float, duration_s: float, clock: Clock,
                           rng: random.Random) -> AsyncIterator[float]:
    """Yield arrival times (clock seconds from the start) at `rate` calls/s over `duration_s`.

    Each arrival is yielded when the clock reaches it; arrivals the loop is late for come at
    once, so the offered load stays what was asked even when the machine falls behind.
    """
    if rate <= 0 or duration_s <= 0:
        return
    start, at = clock.now(), 0.0
    while True:
        at += rng.expovariate(rate)
        if at >= duration_s:
            return
        await clock.sleep_until(start + at)
        yield at


class PoissonTraffic:
    """Offers calls arriving at `rate` per second for `duration_s` to a pool; tracks their tasks.

    A call that finds no free port is rejected (the pool counts it). One that finds a port is
    rung on it by `ring(port)` (the backend's inbound call) and served by `serve(port)` in a
    task of its own; afterwards the port is hung up and released, whatever happened.
    """

    def __init__(self, rate: float, duration_s: float, clock: Clock,
                 rng: random.Random | None = None) -> None:
        if rate < 0 or duration_s < 0:
            raise ValueError("traffic needs a rate and a duration of at least 0")
        self.rate = rate
        self.duration_s = duration_s
        self.clock = clock
        self.rng = rng or random.Random()
        self.calls: set[asyncio.Task] = set()
        self.failures = 0  # calls whose `serve` raised

    async def run(self, pool: PortPool, ring: Callable[[Port], None],
                  serve: Callable[[Port], Awaitable[None]]) -> None:
        """Offer every arrival of the period to the pool; return when the period is over."""
        async for _ in poisson_arrivals(self.rate, self.duration_s, self.clock, self.rng):
            port = pool.acquire()
            if port is None:
                continue
            ring(port)
            task = asyncio.create_task(self._call(pool, port, serve))
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)

    async def drain(self, timeout_s: float) -> int:
        """Wait up to `timeout_s` (clock) for calls in progress; cancel the rest, return how many."""
        if not self.calls:
            return 0
        _, late = await asyncio.wait(set(self.calls), timeout=self.clock.real(timeout_s))
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        return len(late)

    async def _call(self, pool: PortPool, port: Port,
                    serve: Callable[[Port], Awaitable[None]]) -> None:
        try:
            await serve(port)
        except asyncio.CancelledError:
            raise
        except Exception:  # one call's failure must not stop the traffic: count and log it
            self.failures += 1
            log.exception("call on port %s failed", port.id)
        finally:
            if port.state != NULL:
                await port.hangup()
            pool.release(port)
