"""The ports' clock: real time at speed 1, K times faster at speed K."""

from __future__ import annotations

import asyncio
import time

import pytest

from runtime.ports import Clock, VirtualClock, VirtualTimeLoop


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


def on_virtual_time(scenario):
    """Run `scenario(clock)` on a fresh virtual-time loop; return its result."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(scenario(VirtualClock(loop)))
    finally:
        loop.close()


def test_a_virtual_clock_jumps_to_its_next_timer_so_a_day_passes_in_a_blink():
    async def day(clock: VirtualClock) -> float:
        await clock.sleep(86_400)
        return clock.now()

    started = time.monotonic()
    assert on_virtual_time(day) == pytest.approx(86_400, abs=1e-6)
    assert time.monotonic() - started < 1.0


def test_on_a_virtual_clock_timers_of_many_tasks_fire_in_order_at_their_own_times():
    async def scenario(clock: VirtualClock) -> list[tuple[float, float]]:
        woke: list[tuple[float, float]] = []

        async def nap(seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append((seconds, clock.now()))

        await asyncio.gather(*(nap(s) for s in (300, 0.02, 7, 60, 7.5)))
        clock.call_later(5, lambda: woke.append((5, clock.now())))
        await clock.sleep(10)
        return woke

    woke = on_virtual_time(scenario)
    assert [due for due, _ in woke] == [0.02, 7, 7.5, 60, 300, 5]
    assert [at for _, at in woke] == pytest.approx([0.02, 7, 7.5, 60, 300, 305], abs=1e-6)


def test_real_work_holds_virtual_time_to_the_real_rate_so_it_is_never_skipped():
    async def scenario(clock: VirtualClock) -> tuple[float, bool, float]:
        sleeper = asyncio.ensure_future(clock.sleep(50))
        started = clock.now()
        await asyncio.to_thread(time.sleep, 0.2)  # a thread's work: the loop waits for it
        during = clock.now() - started
        still_asleep = not sleeper.done()
        await sleeper
        return during, still_asleep, clock.now()

    during, still_asleep, end = on_virtual_time(scenario)
    assert 0.2 <= during < 2.0 and still_asleep  # not 50 s jumped while the thread worked
    assert end == pytest.approx(50, abs=0.01)  # the nap began as the thread was under way


def test_a_timeout_around_held_work_lasts_real_seconds():
    async def scenario(clock: VirtualClock) -> float:
        loop = clock.loop

        async def never_answered() -> None:
            async with asyncio.timeout(0.1):
                await asyncio.Event().wait()  # a service that does not answer

        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await loop.holding(never_answered)()
        return time.monotonic() - started

    assert 0.1 <= on_virtual_time(scenario) < 1.0
