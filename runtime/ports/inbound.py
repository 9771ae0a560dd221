"""Inbound calls: a backend offers a call, it is routed by `routes.json` and run on a port.

A backend (SIP, a registered line, the emulator) calls `offer` when a call arrives. The call is
routed by its dialled number (`voice` in routes.json; `*` is the fallback) and given a free
port of the backend's pool; an unknown number (`UnknownNumber`) and a full pool (`NoFreePort`)
are refused, which SIP answers with 404 and 486 and the emulator counts as blocked. The backend
then rings the call on that port and hands it to `connect`, which answers it, runs the routed
flow's published version and releases the port on every ending: the flow's end, the caller
hanging up (before or after the answer), an error, a timeout or the session crashing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from runtime.errors import EngineError

from .call import CallRunner, run_call
from .pool import NoFreePort, PortPool
from .port import NULL, CallerHungUp, CallInfo, Port

log = logging.getLogger(__name__)


class UnknownNumber(EngineError):
    """No flow is routed for the dialled number: the call is refused."""

    code = "unknown_number"


@dataclass(slots=True)
class CallFigures:
    """What inbound calls did since start: the live figures of the API and /metrics."""

    offered: Counter = field(default_factory=Counter)  # per flow ("" for an unknown number)
    blocked: Counter = field(default_factory=Counter)  # refused: no free port, per flow
    unrouted: int = 0  # refused: no flow for the number
    answered: Counter = field(default_factory=Counter)  # per flow
    abandoned: Counter = field(default_factory=Counter)  # caller gone before the answer
    completed: Counter = field(default_factory=Counter)  # per (flow, disposition)
    failed: Counter = field(default_factory=Counter)  # the call's task raised, per flow

    def as_dict(self) -> dict:
        """Return the figures as JSON-able values."""
        return {"offered": dict(self.offered), "blocked": dict(self.blocked),
                "unrouted": self.unrouted, "answered": dict(self.answered),
                "abandoned": dict(self.abandoned), "failed": dict(self.failed),
                "completed": [{"flow": f, "disposition": d, "calls": n}
                              for (f, d), n in sorted(self.completed.items())]}


class InboundCalls:
    """Routes the calls of one backend's ports to flows and runs them, one task per call."""

    def __init__(self, runner: CallRunner, pool: PortPool, *,
                 route: Callable[[str], str | None] | None = None,
                 figures: CallFigures | None = None) -> None:
        self.runner = runner
        self.pool = pool
        self.route = route or (lambda number: runner.workspace.route("voice", number))
        self.figures = figures or CallFigures()
        self.calls: dict[str, asyncio.Task] = {}  # port id -> the task running its call
        self._flows: dict[str, str] = {}  # port id -> routed flow id
        self.closed = False  # stopping: calls arriving now are refused as if every port were busy

    def offer(self, call: CallInfo) -> Port:
        """Return the free port that takes an arriving call; raise UnknownNumber or NoFreePort.

        The port is the caller's until `connect` releases it, or `refused` gives it back when
        the backend could not ring the call after all (no common codec, say).
        """
        if self.closed:
            raise NoFreePort("the voice node is stopping")
        flow_id = self.route(call.called)
        self.figures.offered[flow_id or ""] += 1
        if flow_id is None:
            self.figures.unrouted += 1
            raise UnknownNumber(f"no flow is routed for {call.called!r}")
        port = self.pool.acquire()
        if port is None:
            self.figures.blocked[flow_id] += 1
            raise NoFreePort(f"all {len(self.pool.ports)} ports are busy")
        self._flows[port.id] = flow_id
        return port

    def refused(self, port: Port) -> None:
        """Give back a port `offer` handed out for a call that was never rung."""
        self._flows.pop(port.id, None)
        self.pool.release(port)

    def connect(self, port: Port) -> asyncio.Task:
        """Answer the call ringing on `port`, run its flow and release the port after."""
        task = asyncio.get_running_loop().create_task(self._run(port, self._flows[port.id]),
                                                      name=f"call-{port.id}")
        self.calls[port.id] = task
        return task

    async def drain(self, timeout_s: float) -> None:
        """Take no more calls; wait up to `timeout_s` for those in progress, cancel the rest."""
        self.closed = True
        tasks = set(self.calls.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    async def _run(self, port: Port, flow_id: str) -> None:
        figures = self.figures
        try:
            await port.answer()
            figures.answered[flow_id] += 1
            session = await run_call(self.runner, flow_id, port)
            figures.completed[flow_id, session.disposition or "completed"] += 1
        except CallerHungUp:
            figures.abandoned[flow_id] += 1
        except asyncio.CancelledError:
            figures.failed[flow_id] += 1
            raise
        except Exception:  # one call's failure must not reach the others: count and log it
            figures.failed[flow_id] += 1
            log.exception("inbound call on port %s (flow %s) failed", port.id, flow_id)
        finally:
            try:
                if port.state != NULL:
                    await port.hangup()
            finally:
                self.calls.pop(port.id, None)
                self._flows.pop(port.id, None)
                self.pool.release(port)
