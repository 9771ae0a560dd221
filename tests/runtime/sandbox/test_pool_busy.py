"""A saturated script pool refuses at once, clearly; calls within its bounds still run."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from blocks.sdk import BlockError
from runtime.sandbox import ScriptError, ScriptPool, ScriptPoolBusy, pool_options
from runtime.sandbox.pool import Limits, configure_shared_pool, default_workers, shared_pool
from runtime.workspace.settings import load_settings

# about a third of a second of CPU in the sandbox on the shared 2-core test machine
HEAVY = "n = 0\nfor i in range(1500000):\n    n += i\nreturn 'done'"
REFUSED_WITHIN_S = 0.5  # "at once": well under a second, even on a loaded 2-core machine


@pytest.fixture
def make_pool():
    """Return a maker of pools (generous CPU limits) that are closed after the test."""
    pools: list[ScriptPool] = []

    def make(workers: int = 1, **options) -> ScriptPool:
        pool = ScriptPool(workers, Limits(cpu_ms=20_000), **options)
        pools.append(pool)
        return pool
    yield make
    for pool in pools:
        pool.close()


async def burst(pool: ScriptPool, count: int, code: str = HEAVY,
                timeout_ms: int = 10_000) -> list[tuple[object, float]]:
    """Start `count` run_async calls at once, as concurrent turns do; return (outcome, seconds)."""
    started = time.monotonic()

    async def one() -> tuple[object, float]:
        try:
            outcome: object = await pool.run_async(code, {}, {}, timeout_ms=timeout_ms)
        except ScriptError as exc:
            outcome = exc
        return outcome, time.monotonic() - started
    return await asyncio.gather(*(one() for _ in range(count)))


def refusals(outcomes: list[tuple[object, float]]) -> list[tuple[ScriptPoolBusy, float]]:
    """Return the calls refused as busy, with when."""
    return [(o, t) for o, t in outcomes if isinstance(o, ScriptPoolBusy)]


def test_calls_past_the_queue_bound_are_refused_at_once_and_the_others_run(make_pool):
    pool = make_pool(workers=1, max_queued=2, queue_timeout_s=60)
    pool.warm()
    outcomes = asyncio.run(burst(pool, 1 + 2 + 3))
    refused = refusals(outcomes)
    assert len(refused) == 3
    assert all(seconds < REFUSED_WITHIN_S for _, seconds in refused)
    ran = [o for o, _ in outcomes if not isinstance(o, ScriptError)]
    assert [r["exit"] for r in ran] == ["done"] * 3  # the one running and the two that waited
    assert max(seconds for _, seconds in outcomes) > REFUSED_WITHIN_S  # they did wait their turn
    assert pool.refused == 3 and pool.in_flight == 0


def test_the_refusal_says_the_pool_is_busy_and_which_setting_to_raise(make_pool):
    pool = make_pool(workers=1, max_queued=1)
    outcomes = asyncio.run(burst(pool, 3))
    [(error, _)] = refusals(outcomes)
    assert isinstance(error, ScriptError) and isinstance(error, BlockError)
    assert (error.kind, error.limit) == ("limit", "queue")
    message = str(error)
    assert message.startswith("the script pool is busy: its one worker is running a script and ")
    assert "[sandbox] workers (CALLWRIGHT_SANDBOX_WORKERS)" in message
    assert "[sandbox] max_queued (CALLWRIGHT_SANDBOX_MAX_QUEUED)" in message


def test_no_queue_refuses_as_soon_as_every_worker_is_busy(make_pool):
    pool = make_pool(workers=2, max_queued=0)
    outcomes = asyncio.run(burst(pool, 5))
    refused = refusals(outcomes)
    assert len(refused) == 3 and all(seconds < REFUSED_WITHIN_S for _, seconds in refused)
    assert "no call may wait for one" in str(refused[0][0])


def test_a_call_that_would_outwait_the_queue_timeout_is_refused_at_once(make_pool):
    pool = make_pool(workers=1, max_queued=50, queue_timeout_s=1.0)
    pool.run(HEAVY, {}, {}, timeout_ms=10_000)  # the pool learns what a call costs here
    outcomes = asyncio.run(burst(pool, 14))
    quick = [(e, t) for e, t in refusals(outcomes) if t < REFUSED_WITHIN_S]
    # the calls at the back of the queue would wait several seconds: they are told so at once
    assert len(quick) >= 6
    assert all("[sandbox] queue_timeout_s (CALLWRIGHT_SANDBOX_QUEUE_TIMEOUT_S) (1 s)" in str(e)
               for e, _ in quick)
    assert sum(isinstance(o, dict) for o, _ in outcomes) >= 2
    assert all(isinstance(o, (dict, ScriptPoolBusy)) for o, _ in outcomes)


def test_a_call_that_waits_past_the_queue_timeout_is_refused_as_busy(make_pool):
    pool = make_pool(workers=1, max_queued=5, queue_timeout_s=0.3)
    outcomes = asyncio.run(burst(pool, 2, "while True:\n    pass", timeout_ms=1500))
    [(error, seconds)] = refusals(outcomes)
    assert 0.3 <= seconds < 3
    assert "no script worker became free within 0.3 s" in str(error)
    assert "[sandbox] queue_timeout_s" in str(error)


def test_threads_calling_run_are_bounded_the_same_way(make_pool):
    pool = make_pool(workers=1, max_queued=1, queue_timeout_s=60)

    async def main() -> list[tuple[object, float]]:
        started = time.monotonic()

        def one() -> tuple[object, float]:
            try:
                outcome: object = pool.run(HEAVY, {}, {}, timeout_ms=10_000)
            except ScriptError as exc:
                outcome = exc
            return outcome, time.monotonic() - started
        return await asyncio.gather(*(asyncio.to_thread(one) for _ in range(4)))
    outcomes = asyncio.run(main())
    refused = refusals(outcomes)
    assert len(refused) == 2 and all(seconds < REFUSED_WITHIN_S for _, seconds in refused)
    assert sum(isinstance(o, dict) for o, _ in outcomes) == 2


def test_a_turn_cancelled_while_its_call_waits_gives_its_place_back(make_pool):
    pool = make_pool(workers=1, max_queued=1, queue_timeout_s=60)

    async def main() -> None:
        running = asyncio.create_task(pool.run_async(HEAVY, {}, {}, timeout_ms=10_000))
        await asyncio.sleep(0)
        waiting = asyncio.create_task(pool.run_async(HEAVY, {}, {}, timeout_ms=10_000))
        await asyncio.sleep(0.05)
        waiting.cancel()
        await running
        with pytest.raises(asyncio.CancelledError):
            await waiting
    asyncio.run(main())
    deadline = time.monotonic() + 10
    while pool.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.in_flight == 0
    assert pool.run("return 'free'", {}, {})["exit"] == "free"


def test_the_pool_is_built_from_the_sandbox_settings(make_pool):
    pool = ScriptPool.from_settings({"sandbox": {"workers": 3, "max_queued": 4,
                                                 "queue_timeout_s": 0.5, "cpu_ms": 200,
                                                 "memory_mb": 32}})
    try:
        assert (pool.size, pool.max_queued, pool.queue_timeout_s) == (3, 4, 0.5)
        assert (pool.limits.cpu_ms, pool.limits.memory_mb) == (200, 32)
        assert pool.run("return 'from settings'", {}, {})["exit"] == "from settings"
    finally:
        pool.close()


def test_the_defaults_follow_the_cpus_this_process_may_use():
    pool = ScriptPool.from_settings(load_settings(None, environ={}))
    try:
        cpus = len(os.sched_getaffinity(0))
        assert pool.size == default_workers() == min(max(2, cpus), 32)
        assert pool.max_queued == 16 * pool.size and pool.queue_timeout_s == 5.0
        assert pool.limits == Limits()
    finally:
        pool.close()


def test_the_environment_sizes_the_pool_through_the_settings():
    settings = load_settings(None, environ={"CALLWRIGHT_SANDBOX_WORKERS": "5",
                                            "CALLWRIGHT_SANDBOX_MAX_QUEUED": "0",
                                            "CALLWRIGHT_SANDBOX_QUEUE_TIMEOUT_S": "1.5"})
    assert pool_options(settings)["workers"] == 5
    pool = ScriptPool.from_settings(settings)
    try:
        assert (pool.size, pool.max_queued, pool.queue_timeout_s) == (5, 0, 1.5)
    finally:
        pool.close()


def test_the_older_scripts_section_counts_where_sandbox_is_silent():
    options = pool_options({"scripts": {"workers": 4, "cpu_ms": 300},
                            "sandbox": {"workers": 2}})
    assert options["workers"] == 2 and options["limits"].cpu_ms == 300


def test_the_shared_pool_takes_the_settings_it_is_configured_with():
    try:
        configure_shared_pool(**pool_options({"sandbox": {"workers": 3, "max_queued": 7}}))
        pool = shared_pool()
        assert (pool.size, pool.max_queued) == (3, 7)
    finally:
        configure_shared_pool()
    assert shared_pool().size == default_workers()


def test_impossible_sizes_are_refused():
    with pytest.raises(ValueError):
        ScriptPool(0)
    with pytest.raises(ValueError):
        ScriptPool(1, max_queued=-1)
