"""`callwright emulate`: a flow under Poisson traffic on an emulated board, as one stats report."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from array import array
from collections import Counter
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from blocks import Registry
from runtime.engine.compiled import Flow
from runtime.engine.threadloop import run_sync, thread_loop
from runtime.ports.call import run_call
from runtime.ports.clock import Clock, VirtualClock, VirtualTimeLoop
from runtime.ports.emulator.board import EmulatorBoard, EmulatorPort
from runtime.ports.emulator.callers import DEFAULT_CALLERS, CallerMix, CallerScript, load_callers
from runtime.ports.emulator.holding import Holding, parse_holding
from runtime.ports.emulator.traffic import T_95, PoissonTraffic, erlang_b
from runtime.ports.pool import PortPool
from runtime.ports.port import CallerHungUp, Port
from runtime.runtime import Runtime

from .simulate import load_flow

DRAIN_S = 300.0  # how long (virtual) calls still in progress may take to finish after the traffic
# objects made and not freed that make the cycle collector run, at least: 15,000 calls in
# progress are about 1.5 million (a leak of cycles up to this is some 300 MB)
COLLECT_AFTER = 2_000_000
MAX_SPEED = "max"  # the speed of a virtual clock: as fast as the CPU allows


@dataclass
class _Tally:
    """What the calls of one emulation did."""

    answered: int = 0
    completed: int = 0
    abandoned: int = 0  # hung up before we answered
    steps: int = 0
    errors: int = 0
    dispositions: Counter = field(default_factory=Counter)
    # 8 bytes a call each, not a float object: a day of traffic is millions of calls
    durations: array = field(default_factory=lambda: array("d"))
    latencies: array = field(default_factory=lambda: array("d"))

    def event(self, event: dict) -> None:
        """Count a transcript event that says something went wrong."""
        if event["event"] == "error":
            self.errors += 1


def emulate(flow_file: str | Path, *, ports: int, cps: float, duration_s: float,
            speed: float | str = 1.0, callers: str | Path | Sequence[CallerScript] | None = None,
            workspace: str | Path | None = None, seed: int | None = None,
            now: datetime | None = None, vars: Mapping | None = None, drain_s: float = DRAIN_S,
            holding: str | Holding | None = None, registry: Registry | None = None,
            environ: Mapping[str, str] = os.environ) -> dict:
    """Offer `cps` calls a second for `duration_s` (virtual) seconds to `ports` emulated ports.

    Every answered call runs a session of the flow file (loaded as `simulate` loads it) over
    its port; the report counts calls, dispositions, blocking, occupancy in erlangs and
    timings. `speed` is a clock speed, or "max": a virtual clock, as fast as the CPU allows.
    `holding` ("exp:180", ...) makes callers hang up after a drawn holding time. `now` is the
    calendar time the traffic starts at (the flow's `hours` see it advance with the clock).
    Raise ValueError for bad numbers or holding, InvalidCallers or InvalidFlow for bad files.
    """
    if ports < 1:
        raise ValueError(f"ports must be at least 1, not {ports}")
    if cps < 0:
        raise ValueError(f"cps must be at least 0, not {cps}")
    if not duration_s > 0:
        raise ValueError(f"duration must be above 0, not {duration_s}")
    if speed != MAX_SPEED and not (isinstance(speed, (int, float)) and speed > 0):
        raise ValueError(f"speed must be above 0 or {MAX_SPEED!r}, not {speed!r}")
    if isinstance(holding, str):
        holding = parse_holding(holding)
    scripts = load_callers(callers) if isinstance(callers, (str, Path)) else \
        tuple(callers or DEFAULT_CALLERS)
    space, flow = load_flow(flow_file, workspace=workspace, registry=registry, environ=environ)
    seed = random.SystemRandom().randrange(2 ** 32) if seed is None else seed
    runtime = Runtime(space, environ=environ)
    work = _run(runtime, flow, ports=ports, cps=cps, duration_s=duration_s, speed=speed,
                scripts=scripts, seed=seed, start=now or datetime.now(UTC),
                vars=dict(vars or {}), drain_s=drain_s, holding=holding)
    try:
        if speed == MAX_SPEED:
            report = _on_virtual_time(work)
        else:
            with _own_executor():
                report = run_sync(work)
    finally:
        runtime.close()
    return report


def _on_virtual_time(work: Coroutine[Any, Any, dict]) -> dict:
    """Run the emulation on a loop of its own whose time jumps ahead whenever it is idle."""
    loop = VirtualTimeLoop()
    executor = ThreadPoolExecutor(thread_name_prefix="callwright-emulate")
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(work)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        loop.close()


@dataclass
class _HeldRunner:
    """The runtime as calls on a virtual clock see it: time passes at the real rate while a
    call waits on the world (an HTTP request, a script), so the world's timing is kept."""

    runtime: Runtime
    loop: VirtualTimeLoop

    @property
    def workspace(self) -> Any:
        """Return the runtime's live flows."""
        return self.runtime.workspace

    @property
    def engine(self) -> Any:
        """Return the runtime's engine."""
        return self.runtime.engine

    def host(self, channel: str, inputs: Any, sink: Any, **options: Any) -> Any:
        """Return the runtime's host for a turn, its real work held on the loop's time."""
        return _HeldHost(self.runtime.host(channel, inputs, sink, **options), self.loop)


class _HeldHost:
    """A turn's host whose waits on the world hold the virtual clock; the rest is the host's.

    A wrapper, not wrapped methods set on the host: those would point back at the host, a
    reference cycle per call that only the cycle collector frees.
    """

    __slots__ = ("_host", "_loop")

    def __init__(self, host: Any, loop: VirtualTimeLoop) -> None:
        self._host = host
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    async def http(self, request: Any) -> Any:
        """Send an HTTP request, in real time."""
        with self._loop.hold():
            return await self._host.http(request)

    async def run_script(self, code: str, **options: Any) -> Any:
        """Run a script in the sandbox, in real time."""
        with self._loop.hold():
            return await self._host.run_script(code, **options)

    async def evaluate(self, expression: str, scope: dict) -> Any:
        """Evaluate an expression in the sandbox, in real time."""
        with self._loop.hold():
            return await self._host.evaluate(expression, scope)

    async def enqueue(self, task: str, payload: dict, **options: Any) -> str:
        """Queue background work, in real time."""
        with self._loop.hold():
            return await self._host.enqueue(task, payload, **options)


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
               speed: float | str, scripts: Sequence[CallerScript], seed: int, start: datetime,
               vars: dict, drain_s: float, holding: Holding | None) -> dict:
    """Run the traffic and the calls on the running loop; return the report."""
    cpu = time.process_time()
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    virtual = isinstance(loop, VirtualTimeLoop)
    clock = VirtualClock(loop) if virtual else Clock(float(speed))
    runner: Any = _HeldRunner(runtime, loop) if virtual else runtime
    board = EmulatorBoard.with_ports(ports, clock=clock, callers=CallerMix(tuple(scripts), rng),
                                     seed=rng.randrange(2 ** 32), holding=holding,
                                     measure_latency=not virtual)
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
        session = await run_call(runner, flow, port, vars=dict(vars), clock=calendar,
                                 on_event=tally.event, tasks=_deliver_nothing)
        if session.status == "ended":
            tally.completed += 1
        tally.dispositions[session.disposition] += 1
        tally.steps += session.steps
        tally.durations.append((call.ended_at or clock.now()) - call.answered_at)
        runtime.sessions.delete(session.id)  # nothing reads it again: memory stays flat

    def ring(port: Port) -> None:
        """Put the next inbound call on a port."""
        assert isinstance(port, EmulatorPort)
        board.offer(port)

    wall = time.perf_counter()
    with _collector_paused(clock):
        await traffic.run(pool, ring, serve)
        await clock.sleep_until(duration_s)
        during = pool.stats()  # the traffic's period, before calls drain away
        unfinished = await traffic.drain(drain_s)
    stats = pool.stats()
    await runtime.close_http()  # this loop's client: the loop may not outlive the emulation
    wall = time.perf_counter() - wall
    mean_held = traffic.held_s / traffic.carried if traffic.carried else 0.0
    offered = cps * mean_held  # erlangs: arrivals a second times how long a call holds a port
    return {
        "flow": flow.id, "ports": ports, "speed": speed, "clock": "virtual" if virtual else "real",
        "cps": cps, "seed": seed, "holding": None if holding is None else str(holding),
        "duration_s": duration_s, "virtual_s": round(clock.now(), 3), "wall_s": round(wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "calls": {"offered": stats.offered, "answered": tally.answered,
                  "completed": tally.completed, "rejected": stats.rejected,
                  "blocked": stats.rejected, "abandoned": tally.abandoned,
                  "unfinished": unfinished, "failed": traffic.failures},
        "blocking": _blocking(traffic, ports, offered),
        "erlangs": {"offered": round(offered, 2), "mean": round(during.mean_busy, 2),
                    "peak": stats.peak_busy, "holding_s": round(mean_held, 3)},
        "dispositions": dict(sorted(tally.dispositions.items(), key=lambda kv: str(kv[0]))),
        "occupancy": {"peak": stats.peak_busy, "mean": round(stats.mean_busy, 1),
                      "ratio": stats.occupancy},
        "call_duration_s": _spread(tally.durations),
        "answer_latency_s": _spread(tally.latencies),
        "event_latency_ms": board.latency.summary() if board.latency is not None else None,
        "steps": tally.steps,
        "errors": tally.errors,
    }


@contextmanager
def _collector_paused(clock: Clock) -> Iterator[None]:
    """Run Python's cycle collector only once objects pile up, not every few hundred allocations.

    Thousands of calls in progress are a million live objects, which every full collection
    walks: nearly a second at 10,000 ports here, stalling every call on the loop (at 6,000
    ports the real-time p99 of event latency was 120 ms with the collector as it comes, 1.3 ms
    without). Calls leave next to no reference cycles (failed HTTP requests' tracebacks do), so
    the collector runs when the objects made and not freed since its last run outnumber those
    it left alive and COLLECT_AFTER: never in a steady state, now and then if cycles leak.
    """
    was_enabled = gc.isenabled()
    gc.disable()

    async def collect() -> None:
        alive = 0
        while True:
            await clock.sleep(10.0 if clock.virtual else clock.speed)  # about a real second
            if gc.get_count()[0] > max(COLLECT_AFTER, alive):
                gc.collect()
                gc.freeze()  # only to count what is left: the permanent generation's size
                alive = gc.get_freeze_count()
                gc.unfreeze()

    collector = asyncio.ensure_future(collect())
    try:
        yield
    finally:
        collector.cancel()
        if was_enabled:
            gc.enable()


def _blocking(traffic: PoissonTraffic, ports: int, offered: float) -> dict:
    """Return the share of calls blocked, its standard error and 95 % interval, and Erlang B's
    share for the offered erlangs on these ports."""
    found = traffic.blocking()
    share, error = found if found is not None else (None, None)
    return {"probability": None if share is None else round(share, 5),
            "standard_error": None if error is None else round(error, 5),
            "ci95": None if share is None else [round(max(0.0, share - T_95 * error), 5),
                                                round(min(1.0, share + T_95 * error), 5)],
            "erlang_b": round(erlang_b(ports, offered), 5)}


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
