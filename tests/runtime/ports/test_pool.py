"""The port pool: one call per port, rejections when all are busy, occupancy over time."""

from __future__ import annotations

import asyncio

import pytest

from runtime.ports import Clock, NoFreePort, PortPool
from runtime.ports.emulator import EmulatorBoard


class HandClock(Clock):
    """A clock the test moves by hand, so occupancy sums are exact."""

    def __init__(self) -> None:
        super().__init__()
        self.at = 0.0

    def now(self) -> float:
        return self.at


def pool_of(ports: int, clock: Clock | None = None) -> PortPool:
    board = EmulatorBoard(1, ports, clock=clock or Clock(speed=100))
    return PortPool(board.ports, clock)


def test_a_pool_hands_out_each_free_port_once_then_rejects_and_counts_it():
    pool = pool_of(2)
    first, second = pool.acquire(), pool.acquire()
    assert {first.id, second.id} == {"b1c1", "b1c2"}
    assert pool.acquire() is None
    stats = pool.stats()
    assert (stats.ports, stats.busy, stats.peak_busy, stats.offered, stats.rejected) == (2, 2, 2, 3, 1)


def test_a_released_port_serves_the_next_call_and_the_peak_stays():
    pool = pool_of(2)
    port = pool.acquire()
    pool.acquire()
    pool.release(port)
    assert pool.busy == 1 and pool.acquire() is port
    assert pool.stats().peak_busy == 2 and pool.stats().rejected == 0


def test_mean_occupancy_is_weighted_by_time_on_the_pools_clock():
    clock = HandClock()
    pool = pool_of(2, clock)
    first = pool.acquire()           # t=0: 1 busy
    clock.at = 10
    second = pool.acquire()          # t=10: 2 busy
    clock.at = 20
    pool.release(first)
    pool.release(second)             # t=20: 0 busy
    clock.at = 40
    stats = pool.stats()
    assert stats.mean_busy == pytest.approx((1 * 10 + 2 * 10) / 40)
    assert stats.occupancy == pytest.approx(0.375) and stats.seconds == 40


def test_seize_holds_a_port_for_a_block_and_raises_no_free_port_when_all_are_busy():
    pool = pool_of(1)

    async def scenario() -> None:
        async with pool.seize() as port:
            assert pool.busy == 1 and port.id == "b1c1"
            with pytest.raises(NoFreePort):
                async with pool.seize():
                    pass
        assert pool.busy == 0

    asyncio.run(scenario())
    assert pool.stats().rejected == 1


def test_acquire_wait_gets_the_next_released_port_first_come_first_served():
    pool = pool_of(1)

    async def scenario() -> list[str]:
        held = pool.acquire()
        order: list[str] = []

        async def wait(name: str) -> None:
            port = await pool.acquire_wait(timeout_s=100)
            order.append(f"{name}:{port.id}")
            pool.release(port)

        waiters = [asyncio.create_task(wait("a")), asyncio.create_task(wait("b"))]
        await asyncio.sleep(0)
        pool.release(held)
        await asyncio.gather(*waiters)
        return order

    assert asyncio.run(scenario()) == ["a:b1c1", "b:b1c1"]
    assert pool.busy == 0 and pool.stats().rejected == 0


def test_acquire_wait_gives_up_after_its_timeout_as_a_rejection():
    pool = pool_of(1)

    async def scenario():
        pool.acquire()
        return await pool.acquire_wait(timeout_s=2)  # 0.02 s real at speed 100

    assert asyncio.run(scenario()) is None
    assert pool.stats().rejected == 1 and pool.stats().offered == 2


def test_releasing_a_port_the_pool_did_not_hand_out_is_refused():
    pool = pool_of(1)
    with pytest.raises(ValueError, match="not in use"):
        pool.release(pool.ports[0])
