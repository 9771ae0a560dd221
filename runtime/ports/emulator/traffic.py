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
BATCHES = 20  # the traffic's period is cut into this many for the blocking's standard error
T_95 = 2.093  # Student's t, 95 % two-sided, for BATCHES - 1 degrees of freedom


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
    task of its own; afterwards the port is hung up and released, whatever happened. Arrivals
    and rejections are also counted per twentieth of the period, for `blocking()`.
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
        self.carried = 0  # calls that had a port, once they gave it back
        self.held_s = 0.0  # ... and the clock seconds they held it, all told
        self.offered = [0] * BATCHES  # arrivals in each twentieth of the period
        self.blocked = [0] * BATCHES  # ... that found no free port

    async def run(self, pool: PortPool, ring: Callable[[Port], None],
                  serve: Callable[[Port], Awaitable[None]]) -> None:
        """Offer every arrival of the period to the pool; return when the period is over."""
        async for at in poisson_arrivals(self.rate, self.duration_s, self.clock, self.rng):
            batch = min(BATCHES - 1, int(at * BATCHES / self.duration_s))
            self.offered[batch] += 1
            port = pool.acquire()
            if port is None:
                self.blocked[batch] += 1
                continue
            ring(port)
            task = asyncio.create_task(self._call(pool, port, serve))
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)

    def blocking(self) -> tuple[float, float] | None:
        """Return the share of arrivals that found no free port and its standard error.

        The error comes from batch means: the period's twentieths are nearly independent when
        each lasts many holding times, so the spread of their shares (a ratio estimator's)
        measures the estimate's own, rejections that come in bursts included. None: no arrival.
        """
        arrivals = sum(self.offered)
        if not arrivals:
            return None
        share = sum(self.blocked) / arrivals
        mean = arrivals / BATCHES
        spread = sum((b - share * o) ** 2 for b, o in zip(self.blocked, self.offered))
        return share, (spread / (BATCHES * (BATCHES - 1))) ** 0.5 / mean

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
        seized = self.clock.now()
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
            self.carried += 1
            self.held_s += self.clock.now() - seized


def erlang_b(servers: int, erlangs: float) -> float:
    """Return the blocking probability of `erlangs` of Poisson traffic offered to `servers`.

    Erlang's loss formula by its recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)), which
    stays exact for thousands of servers where the factorials would overflow.
    """
    if servers < 0 or erlangs < 0:
        raise ValueError("Erlang B needs servers and erlangs of at least 0")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = erlangs * blocking / (n + erlangs * blocking)
    return blocking
