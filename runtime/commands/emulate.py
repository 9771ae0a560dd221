"""`callwright emulate`: a flow under Poisson traffic on an emulated board, as one stats report."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blocks import Registry
from runtime.engine.compiled import Flow
from runtime.engine.threadloop import run_sync, thread_loop
from runtime.ports.call import run_call
from runtime.ports.clock import Clock
from runtime.ports.emulator.board import EmulatorBoard, EmulatorPort
from runtime.ports.emulator.callers import DEFAULT_CALLERS, CallerMix, CallerScript, load_callers
from runtime.ports.emulator.traffic import PoissonTraffic
from runtime.ports.pool import PortPool
from runtime.ports.port import CallerHungUp, Port
from runtime.runtime import Runtime

from .simulate import load_flow

DRAIN_S = 300.0  # how long (virtual) calls still in progress may take to finish after the traffic


@dataclass
class _Tally:
    """What the calls of one emulation did."""

    answered: int = 0
    completed: int = 0
    abandoned: int = 0  # hung up before we answered
    steps: int = 0
    errors: int = 0
    dispositions: Counter = field(default_factory=Counter)
    durations: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def event(self, event: dict) -> None:
        """Count a transcript event that says something went wrong."""
        if event["event"] == "error":
            self.errors += 1


def emulate(flow_file: str | Path, *, ports: int, cps: float, duration_s: float,
            speed: float = 1.0, callers: str | Path | Sequence[CallerScript] | None = None,
            workspace: str | Path | None = None, seed: int | None = None,
            now: datetime | None = None, vars: Mapping | None = None, drain_s: float = DRAIN_S,
            registry: Registry | None = None, environ: Mapping[str, str] = os.environ) -> dict:
    """Offer `cps` calls a second for `duration_s` (virtual) seconds to `ports` emulated ports.

    Every answered call runs a session of the flow file (loaded as `simulate` loads it) over
    its port; the report counts calls, dispositions, occupancy and timings. `now` is the
    calendar time the traffic starts at (the flow's `hours` see it advance with the clock).
    Raise ValueError for bad numbers, InvalidCallers or InvalidFlow for bad files.
    """
    if ports < 1:
        raise ValueError(f"ports must be at least 1, not {ports}")
    if cps < 0:
        raise ValueError(f"cps must be at least 0, not {cps}")
    if not duration_s > 0:
        raise ValueError(f"duration must be above 0, not {duration_s}")
    if not speed > 0:
        raise ValueError(f"speed must be above 0, not {speed}")
    scripts = load_callers(callers) if isinstance(callers, (str, Path)) else \
        tuple(callers or DEFAULT_CALLERS)
    space, flow = load_flow(flow_file, workspace=workspace, registry=registry, environ=environ)
    seed = random.SystemRandom().randrange(2 ** 32) if seed is None else seed
    runtime = Runtime(space, environ=environ)
    try:
        with _own_executor():
            report = run_sync(_run(runtime, flow, ports=ports, cps=cps, duration_s=duration_s,
                                   speed=speed, scripts=scripts, seed=seed,
                                   start=now or datetime.now(UTC), vars=dict(vars or {}),
                                   drain_s=drain_s))
    finally:
        runtime.close()
    return report


@contextmanager
def _own_executor() -> Iterator[None]:
    """Run the loop's thread work (DNS look-ups) on an executor that is dropped afterwards.

    Calls that gave up on a slow look-up leave it queued; without this the process would
    work through the queue before it could exit.
    """
    loop = thread_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="callwright-emulate")
    loop.set_default_executor(executor)
    try:
        yield
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        loop.set_default_executor(ThreadPoolExecutor())  # a fresh one for the thread's next work


async def _run(runtime: Runtime, flow: Flow, *, ports: int, cps: float, duration_s: float,
               speed: float, scripts: Sequence[CallerScript], seed: int, start: datetime,
               vars: dict, drain_s: float) -> dict:
    """Run the traffic and the calls on this thread's loop; return the report."""
    rng = random.Random(seed)
    clock = Clock(speed)
    board = EmulatorBoard.with_ports(ports, clock=clock, callers=CallerMix(tuple(scripts), rng),
                                     seed=rng.randrange(2 ** 32))
    pool = PortPool(board.ports[:ports], clock)
    traffic = PoissonTraffic(cps, duration_s, clock, rng)
    tally = _Tally()

    def calendar() -> datetime:
        """Return the calendar time the flow sees: the start, moved on by the clock."""
        return start + timedelta(seconds=clock.now())

    async def serve(port: Port) -> None:
        """Answer a call and run the flow over it."""
        try:
            await port.answer()
        except CallerHungUp:
            tally.abandoned += 1
            return
        call = port.call
        tally.answered += 1
        tally.latencies.append(call.answered_at - call.offered_at)
        session = await run_call(runtime, flow, port, vars=dict(vars), clock=calendar,
                                 on_event=tally.event, tasks=_deliver_nothing)
        if session.status == "ended":
            tally.completed += 1
        tally.dispositions[session.disposition] += 1
        tally.steps += session.steps
        tally.durations.append((call.ended_at or clock.now()) - call.answered_at)

    def ring(port: Port) -> None:
        """Put the next inbound call on a port."""
        assert isinstance(port, EmulatorPort)
        board.offer(port)

    wall = time.perf_counter()
    await traffic.run(pool, ring, serve)
    unfinished = await traffic.drain(drain_s)
    stats = pool.stats()
    return {
        "flow": flow.id, "ports": ports, "speed": speed, "cps": cps, "seed": seed,
        "duration_s": duration_s, "virtual_s": round(clock.now(), 3),
        "wall_s": round(time.perf_counter() - wall, 3),
        "calls": {"offered": stats.offered, "answered": tally.answered,
                  "completed": tally.completed, "rejected": stats.rejected,
                  "abandoned": tally.abandoned, "unfinished": unfinished,
                  "failed": traffic.failures},
        "dispositions": dict(sorted(tally.dispositions.items(), key=lambda kv: str(kv[0]))),
        "occupancy": {"peak": stats.peak_busy, "mean": round(stats.mean_busy, 1),
                      "ratio": stats.occupancy},
        "call_duration_s": _spread(tally.durations),
        "answer_latency_s": _spread(tally.latencies),
        "steps": tally.steps,
        "errors": tally.errors,
    }


def _deliver_nothing(task: str, payload: dict, key: str) -> str:
    """Stand in for the task queue: an emulation sends no messages (as `simulate`)."""
    return key


def _spread(values: list[float]) -> dict:
    """Return the median, 95th percentile and maximum of some durations (None when empty)."""
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)
    return {"p50": rank(0.5), "p95": rank(0.95), "max": round(ordered[-1], 3)}
