"""The ports' clock: real time at speed 1, K times faster at speed K."""

from __future__ import annotations

import asyncio
import time

import pytest

from runtime.ports import Clock


def test_at_speed_k_a_sleep_takes_a_kth_of_its_seconds_and_now_runs_k_times_faster():
    clock = Clock(speed=50)

    async def nap() -> tuple[float, float]:
        started, virtual = time.monotonic(), clock.now()
        await clock.sleep(5)
        return time.monotonic() - started, clock.now() - virtual

    real, virtual = asyncio.run(nap())
    assert 0.09 <= real < 1.0  # 5 s / 50, with room for a busy machine
    assert virtual >= 4.9 and virtual == pytest.approx(real * 50, rel=0.05)


def test_sleep_until_a_moment_passed_returns_at_once_and_timers_run_on_the_clock():
    clock = Clock(speed=100)
    fired: list[float] = []

    async def scenario() -> None:
        await clock.sleep_until(clock.now() - 10)
        clock.call_later(2, lambda: fired.append(clock.now()))
        await clock.sleep(3)

    asyncio.run(scenario())
    assert len(fired) == 1 and fired[0] >= 2


def test_real_seconds_are_the_clocks_seconds_divided_by_its_speed():
    assert Clock(speed=20).real(60) == 3.0
    assert Clock().real(-1) == 0.0


@pytest.mark.parametrize("speed", [0, -2])
def test_a_clock_needs_a_positive_speed(speed):
    with pytest.raises(ValueError, match="above 0"):
        Clock(speed)
