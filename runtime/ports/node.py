"""A voice node: the port backends that take and place calls, run together on one event loop.

`serve` runs one node (`callwright voice`, a child process) beside its HTTP workers, so that
however many HTTP workers there are, one process owns the SIP socket and the lines. Each
backend gets its own pool and its own router (`InboundCalls`); the figures of all of them
are one `CallFigures`. Outbound calls are placed by the node's `dialer` on the pool of the
backend that dials, so inbound and outbound calls share its ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from .call import CallRunner
from .dialer import Dialer, DialerHost
from .inbound import CallFigures, InboundCalls
from .pool import PortPool
from .port import PortBackend

log = logging.getLogger(__name__)
DRAIN_S = 5.0  # calls in progress at a stop get this long before they are hung up


class VoiceNode:
    """Starts backends for inbound calls, routes their calls to flows, stops them together."""

    def __init__(self, runner: CallRunner, backends: Sequence[PortBackend]) -> None:
        self.runner = runner
        self.backends = list(backends)
        self.figures = CallFigures()
        self.pools = {b.name: PortPool(b.ports, b.clock) for b in self.backends}
        self.inbound = {b.name: InboundCalls(runner, self.pools[b.name], figures=self.figures)
                        for b in self.backends}
        self._started: list[PortBackend] = []

    async def start(self) -> None:
        """Start every backend; if one cannot start, stop those started and raise."""
        try:
            for backend in self.backends:
                await backend.start(self.inbound[backend.name])
                self._started.append(backend)
        except BaseException:
            await self.stop(0)
            raise

    async def stop(self, drain_s: float = DRAIN_S) -> None:
        """Stop the backends: hang up their calls, close their sockets; calls get `drain_s`."""
        for calls in self.inbound.values():  # from now on every backend's new calls are refused
            calls.closed = True
        for backend in reversed(self._started):
            # the calls first: a cancelled call ends its session and hangs up its port itself
            await self.inbound[backend.name].drain(drain_s)
            try:
                await backend.stop()
            except Exception:  # one backend's failure to stop must not keep the others up
                log.exception("the %s backend did not stop cleanly", backend.name)
        self._started.clear()

    def dialer(self, host: DialerHost, name: str) -> Dialer:
        """Return a dialer placing calls on the running loop, on the pool of backend `name`."""
        backend = next((b for b in self.backends if b.name == name), None)
        if backend is None:
            raise ValueError(f"the node runs no {name!r} backend to place calls on")
        return Dialer(host, backend, pool=self.pools[name], loop=asyncio.get_running_loop())

    def snapshot(self) -> dict:
        """Return the live figures: ports per backend and what the calls did."""
        return {"backends": {name: {"address": b.address, **self.pools[name].stats().as_dict()}
                             for name, b in ((b.name, b) for b in self.backends)},
                "calls": self.figures.as_dict()}
