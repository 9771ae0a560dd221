"""The port pool: hands out free ports (one live call each) and accounts for occupancy."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass

from runtime.errors import EngineError

from .clock import REAL_TIME, Clock
from .port import Port


class NoFreePort(EngineError):
    """Every port of the pool is busy: the call is rejected."""

    code = "no_free_port"


@dataclass(frozen=True, slots=True)
class PoolStats:
    """The pool's accounting since it was made (times on the pool's clock)."""

    ports: int
    busy: int
    peak_busy: int
    offered: int  # calls that asked for a port
    rejected: int  # ... and found none (or none within their wait)
    mean_busy: float  # busy ports, time-weighted over `seconds`
    occupancy: float  # mean_busy / ports
    seconds: float

    def as_dict(self) -> dict:
        """Return the stats as JSON-able values."""
        return asdict(self)


class PortPool:
    """A set of ports, whatever their backend: acquire one per call and release it after."""

    def __init__(self, ports: Iterable[Port], clock: Clock | None = None) -> None:
        self.ports = list(ports)
        if len({p.id for p in self.ports}) != len(self.ports):
            raise ValueError("port ids in a pool must be unique")
        self.clock = clock or (self.ports[0].clock if self.ports else REAL_TIME)
        self._free: deque[Port] = deque(self.ports)
        self._busy: set[str] = set()
        self._waiters: deque[asyncio.Future] = deque()
        self._peak = self._offered = self._rejected = 0
        self._started = self._changed = self.clock.now()
        self._area = 0.0  # integral of busy ports over time

    @property
    def busy(self) -> int:
        """Return how many ports carry a call now."""
        return len(self._busy)

    def acquire(self) -> Port | None:
        """Return a free port for a new call, or None (counted as a rejection) when none is."""
        self._offered += 1
        if not self._free:
            self._rejected += 1
            return None
        return self._take()

    async def acquire_wait(self, timeout_s: float | None = None) -> Port | None:
        """Return a free port, waiting up to `timeout_s` (pool clock; None: no limit) for one.

        None, counted as a rejection, when no port came free in time. Waiters are served first
        come, first served; for outbound calls, which may queue where inbound ones may not.
        """
        if self._free and not self._waiters:
            return self.acquire()
        self._offered += 1
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            if timeout_s is None:
                return await waiter
            async with asyncio.timeout(self.clock.real(timeout_s)):
                return await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return waiter.result()  # handed a port just as the time ran out
            self._rejected += 1
            return None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())  # handed a port while being cancelled: pass it on
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def release(self, port: Port) -> None:
        """Give a port back after its call (the caller hangs it up first)."""
        if port.id not in self._busy:
            raise ValueError(f"port {port.id} is not in use in this pool")
        while self._waiters:  # hand the port straight to the longest waiter
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(port)
                return
        self._account()
        self._busy.discard(port.id)
        self._free.append(port)

    @asynccontextmanager
    async def seize(self) -> AsyncIterator[Port]:
        """Hold a free port for the block's duration; raise NoFreePort (a rejection) when none is."""
        port = self.acquire()
        if port is None:
            raise NoFreePort(f"all {len(self.ports)} ports are busy")
        try:
            yield port
        finally:
            self.release(port)

    def stats(self) -> PoolStats:
        """Return the accounting so far."""
        now = self.clock.now()
        seconds = now - self._started
        area = self._area + len(self._busy) * (now - self._changed)
        mean = area / seconds if seconds > 0 else float(len(self._busy))
        return PoolStats(ports=len(self.ports), busy=len(self._busy), peak_busy=self._peak,
                         offered=self._offered, rejected=self._rejected, mean_busy=round(mean, 3),
                         occupancy=round(mean / len(self.ports), 4) if self.ports else 0.0,
                         seconds=round(seconds, 3))

    def _take(self) -> Port:
        self._account()
        port = self._free.popleft()
        self._busy.add(port.id)
        self._peak = max(self._peak, len(self._busy))
        return port

    def _account(self) -> None:
        """Add the time since the last change, at the busy count it had, to the occupancy."""
        now = self.clock.now()
        self._area += len(self._busy) * (now - self._changed)
        self._changed = now
