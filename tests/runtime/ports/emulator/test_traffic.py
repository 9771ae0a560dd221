"""Inbound traffic: Poisson arrivals offered to a pool, rejections when every port is busy."""

from __future__ import annotations

import asyncio
import random

import pytest

from runtime.ports import Clock, PortPool, VirtualClock, VirtualTimeLoop
from runtime.ports.emulator import (CallerMix, CallerScript, EmulatorBoard, PoissonTraffic,
                                    erlang_b, poisson_arrivals)


def test_arrivals_come_at_the_asked_rate_within_the_period():
    clock = Clock(speed=1000)

    async def collect() -> list[float]:
        return [at async for at in poisson_arrivals(100, 10, clock, random.Random(3))]

    times = asyncio.run(collect())
    assert 850 <= len(times) <= 1150  # 1,000 expected; 4.7 standard deviations either side
    assert times == sorted(times) and 0 < times[0] and times[-1] < 10


def setup(ports: int, speed: float = 200):
    clock = Clock(speed)
    board = EmulatorBoard(1, ports, clock=clock, callers=CallerMix((CallerScript(),)))
    return clock, board, PortPool(board.ports, clock)


def test_more_load_than_ports_is_rejected_and_the_peak_is_every_port():
    clock, board, pool = setup(5)
    traffic = PoissonTraffic(rate=5, duration_s=20, clock=clock, rng=random.Random(1))
    served: list[str] = []

    async def serve(port) -> None:
        await port.answer()
        served.append(port.id)
        await clock.sleep(30)  # every call holds its port past the end of the traffic

    async def run() -> int:
        await traffic.run(pool, board.offer, serve)
        return await traffic.drain(60)

    assert asyncio.run(run()) == 0
    stats = pool.stats()
    assert stats.peak_busy == 5 and len(served) == 5
    assert stats.rejected == stats.offered - 5 > 0
    assert stats.busy == 0 and all(port.state == "null" for port in board.ports)


def test_calls_still_running_after_the_drain_bound_are_cancelled_and_counted():
    clock, board, pool = setup(3)
    traffic = PoissonTraffic(rate=2, duration_s=3, clock=clock, rng=random.Random(2))

    async def serve(port) -> None:
        await port.answer()
        await clock.sleep(10_000)

    async def run() -> int:
        await traffic.run(pool, board.offer, serve)
        return await traffic.drain(5)

    unfinished = asyncio.run(run())
    assert unfinished == pool.stats().offered - pool.stats().rejected > 0
    assert pool.busy == 0


def test_a_call_that_fails_is_counted_and_its_port_still_freed(caplog):
    clock, board, pool = setup(2)
    traffic = PoissonTraffic(rate=5, duration_s=2, clock=clock, rng=random.Random(4))

    async def serve(port) -> None:
        raise RuntimeError("flow runner broke")

    async def run() -> None:
        await traffic.run(pool, board.offer, serve)
        await traffic.drain(5)

    asyncio.run(run())
    assert traffic.failures == pool.stats().offered - pool.stats().rejected > 0
    assert pool.busy == 0 and "flow runner broke" in caplog.text


@pytest.mark.parametrize("rate, duration", [(-1, 5), (5, -1)])
def test_traffic_needs_a_rate_and_duration_of_at_least_zero(rate, duration):
    with pytest.raises(ValueError):
        PoissonTraffic(rate, duration, Clock())


@pytest.mark.parametrize("servers, erlangs, blocking", [
    (1, 1.0, 0.5), (2, 1.0, 0.2), (10, 4.46, 0.01), (50, 40.25, 0.02), (100, 84.06, 0.01),
    (1000, 0.0, 0.0)])
def test_erlang_b_is_the_loss_formula_of_the_tables(servers, erlangs, blocking):
    assert erlang_b(servers, erlangs) == pytest.approx(blocking, abs=5e-5)


def test_blocking_is_the_share_of_arrivals_refused_with_a_batch_means_error():
    traffic = PoissonTraffic(1, 20, Clock())
    assert traffic.blocking() is None
    traffic.offered = [100] * 20
    traffic.blocked = [1, 3] * 10
    share, error = traffic.blocking()
    # batches at 1 % and 3 %: the share 2 %, and the spread of the twenty batch shares
    assert share == pytest.approx(0.02)
    assert error == pytest.approx(0.01 / 20 ** 0.5 * (20 / 19) ** 0.5)


def test_each_carried_call_adds_how_long_it_held_its_port():
    loop = VirtualTimeLoop()  # exact times: no loop lag, whatever the machine's load
    clock = VirtualClock(loop)
    board = EmulatorBoard(1, 3, clock=clock, callers=CallerMix((CallerScript(),)))
    pool = PortPool(board.ports, clock)
    traffic = PoissonTraffic(rate=1, duration_s=20, clock=clock, rng=random.Random(5))

    async def serve(port) -> None:
        await port.answer()
        await clock.sleep(2)

    async def run() -> None:
        await traffic.run(pool, board.offer, serve)
        await traffic.drain(60)

    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
    assert traffic.carried == pool.stats().offered - pool.stats().rejected > 0
    assert traffic.held_s / traffic.carried == pytest.approx(2.3)  # answer 0.3 s, then 2 s
    assert sum(traffic.offered) == pool.stats().offered
    assert sum(traffic.blocked) == pool.stats().rejected > 0
