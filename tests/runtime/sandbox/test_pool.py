"""The script pool: worker processes, per-call limits, replacement of broken workers, threads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest

from runtime.sandbox.pool import Limits, ScriptError, ScriptPool, shared_pool

BUSY = "while True:\n    pass"


@pytest.fixture
def make_pool():
    """Return a maker of pools that are closed after the test."""
    pools: list[ScriptPool] = []

    def make(workers: int = 1, **limits) -> ScriptPool:
        pool = ScriptPool(workers=workers, limits=Limits(**limits))
        pools.append(pool)
        return pool
    yield make
    for pool in pools:
        pool.close()


@pytest.fixture(scope="module")
def shared():
    """A two-worker pool for tests that break nothing."""
    pool = ScriptPool(workers=2)
    yield pool
    pool.close()


def run_in_thread(pool: ScriptPool, code: str, **options) -> tuple[threading.Thread, dict]:
    """Start a call in a thread; the dict receives its result or its error."""
    outcome: dict = {}

    def call() -> None:
        try:
            outcome["result"] = pool.run(code, {}, {}, **options)
        except ScriptError as exc:
            outcome["error"] = exc
    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def wait_until(condition, timeout_s: float = 10.0) -> None:
    """Poll until a condition holds, failing after the timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_a_script_returns_its_exit_its_changed_variables_and_its_output(shared):
    result = shared.run("vars['n'] += 1\nvars['new'] = [1]\ndel vars['gone']\nprint('n', vars['n'])"
                        "\nreturn 'done'", {"n": 1, "same": {"a": 1}, "gone": True}, {})
    assert result == {"exit": "done", "vars": {"n": 2, "new": [1], "gone": None},
                      "output": "n 2\n"}


def test_a_value_that_was_already_there_is_not_the_scripts_to_answer_for(shared):
    result = shared.run("vars['n'] = 1", {"odd": float("nan"), "n": 0}, {})
    assert result["vars"] == {"n": 1}


def test_a_script_that_returns_nothing_has_no_exit(shared):
    assert shared.run("x = 1", {}, {})["exit"] is None


def test_an_expression_is_evaluated_with_vars_contact_and_trigger(shared):
    scope = {"vars": {"balance": 150}, "contact": {"language": "ru"}, "trigger": {"text": "hi"}}
    assert shared.evaluate("vars['balance'] > 100 and contact['language'] == 'ru'", scope) is True
    assert shared.evaluate("[trigger['text'].upper(), vars['balance'] // 7]", scope) == ["HI", 21]


def test_an_expression_whose_value_is_not_json_is_an_error_that_says_so(shared):
    with pytest.raises(ScriptError, match="the expression's value cannot be stored") as caught:
        shared.evaluate("re.search('a', 'a')", {"vars": {}, "contact": {}, "trigger": {}})
    assert caught.value.kind == "result"


def test_a_script_error_names_its_line(shared):
    with pytest.raises(ScriptError, match=r"script failed: line 3: KeyError: 'missing'") as caught:
        shared.run("x = 1\ny = 2\nvars['missing']", {}, {})
    assert (caught.value.kind, caught.value.line) == ("error", 3)


def test_code_that_does_not_compile_names_its_line(shared):
    with pytest.raises(ScriptError, match=r"script does not compile: line 2: ") as caught:
        shared.run("x = 1\nimport os", {}, {})
    assert (caught.value.kind, caught.value.line) == ("compile", 2)


def test_dates_now_is_the_clock_the_caller_gives(shared):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    result = shared.run("vars['t'] = dates.now('Asia/Tokyo').isoformat()", {}, {}, now=now)
    assert result["vars"]["t"] == "2026-03-01T21:00:00+09:00"


def test_values_that_are_not_json_reach_the_script_as_text(shared):
    when = datetime(2026, 1, 5, tzinfo=timezone.utc)
    result = shared.run("vars['seen'] = [vars['when'], input['stamp']]", {"when": when}, {},
                        input={"stamp": when})
    assert result["vars"]["seen"] == [str(when), str(when)]


def test_the_cpu_limit_stops_a_busy_loop_and_the_worker_is_replaced(make_pool):
    pool = make_pool(cpu_ms=300)
    pool.warm()
    before = pool.pids()
    with pytest.raises(ScriptError, match=r"stopped by the CPU time limit \(300 ms\)") as caught:
        pool.run(BUSY, {}, {}, timeout_ms=10_000)
    assert caught.value.limit == "cpu"
    assert pool.replaced == 1 and pool.pids() != before
    assert pool.run("return 'alive'", {}, {})["exit"] == "alive"


def test_the_cpu_limit_also_stops_c_code_the_timer_cannot_interrupt(make_pool):
    pool = make_pool(cpu_ms=300)
    started = time.monotonic()
    with pytest.raises(ScriptError, match="CPU time limit") as caught:
        pool.run("x = 7 ** (10 ** 9)", {}, {}, timeout_ms=10_000)  # one long C call
    assert caught.value.limit == "cpu" and time.monotonic() - started < 10


def test_the_memory_limit_stops_an_allocation_and_the_worker_is_replaced(make_pool):
    pool = make_pool(memory_mb=32)
    with pytest.raises(ScriptError, match=r"stopped by the memory limit \(32 MiB\)") as caught:
        pool.run("x = 'x' * (64 * 1024 * 1024)", {}, {})
    assert caught.value.limit == "memory" and pool.replaced == 1
    assert pool.run("vars['ok'] = 'y' * (8 * 1024 * 1024) != ''", {}, {})["vars"] == {"ok": True}


def test_the_memory_budget_comes_on_top_of_the_workers_own_size(make_pool):
    pool = make_pool(memory_mb=64)
    result = pool.run("x = 'x' * (40 * 1024 * 1024)\nvars['n'] = len(x)", {}, {})
    assert result["vars"] == {"n": 40 * 1024 * 1024}


def test_the_wall_clock_limit_kills_the_worker_and_starts_another(make_pool):
    pool = make_pool(cpu_ms=60_000)
    pool.warm()
    before = pool.pids()
    started = time.monotonic()
    with pytest.raises(ScriptError, match=r"stopped by the wall-clock limit \(300 ms\)") as caught:
        pool.run(BUSY, {}, {}, timeout_ms=300)
    assert caught.value.limit == "wall_clock" and time.monotonic() - started < 5
    assert pool.replaced == 1 and pool.pids() != before
    assert pool.run("return 'alive'", {}, {})["exit"] == "alive"


def test_the_output_limit_stops_a_script_that_prints_too_much(make_pool):
    pool = make_pool(max_output=1000)
    with pytest.raises(ScriptError, match=r"output limit \(1000 characters printed") as caught:
        pool.run("for i in range(100000):\n    print(i)", {}, {})
    assert caught.value.limit == "output" and pool.replaced == 1
    assert pool.run("print('x' * 900)", {}, {})["output"] == "x" * 900 + "\n"


def test_the_result_size_limit_stops_a_script_whose_variables_are_too_big(make_pool):
    pool = make_pool(max_result=10_000)
    with pytest.raises(ScriptError, match="output limit") as caught:
        pool.run("vars['big'] = 'x' * 20000", {}, {})
    assert caught.value.limit == "output"


def test_a_worker_killed_mid_call_fails_that_call_only(make_pool):
    pool = make_pool(cpu_ms=60_000)
    pool.warm()
    [pid] = pool.pids()
    thread, outcome = run_in_thread(pool, BUSY, timeout_ms=10_000)
    wait_until(lambda: pool.pids() == [])  # the worker has taken the call
    os.kill(pid, signal.SIGKILL)
    thread.join(15)
    error = outcome["error"]
    assert error.limit == "crash" and "signal SIGKILL" in str(error)
    assert pool.run("return 'alive'", {}, {})["exit"] == "alive" and pool.pids() != [pid]


def test_a_worker_that_died_while_idle_is_replaced_without_failing_a_call(make_pool):
    pool = make_pool()
    pool.warm()
    [pid] = pool.pids()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    assert pool.run("return 'alive'", {}, {})["exit"] == "alive"
    assert pool.replaced == 1


def test_other_calls_carry_on_while_one_worker_is_stuck(make_pool):
    pool = make_pool(workers=2, cpu_ms=60_000)
    pool.warm()
    thread, outcome = run_in_thread(pool, BUSY, timeout_ms=3000)
    wait_until(lambda: len(pool.pids()) == 1)
    for i in range(20):
        assert pool.run("vars['i'] += 1", {"i": i}, {})["vars"] == {"i": i + 1}
    thread.join(15)
    assert outcome["error"].limit == "wall_clock"


def test_concurrent_calls_from_threads_each_get_their_own_result(shared):
    failures: list[str] = []

    def worker(t: int) -> None:
        for i in range(25):
            result = shared.run("vars['sum'] = vars['a'] + vars['b']\nreturn 'x' + str(vars['a'])",
                                {"a": t, "b": i}, {})
            if result != {"exit": f"x{t}", "vars": {"sum": t + i}, "output": ""}:
                failures.append(f"{t}/{i}: {result}")
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []


def test_the_async_forms_do_not_block_the_event_loop(shared):
    async def main() -> tuple[list, list, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)
        task = asyncio.create_task(ticker())
        runs = await asyncio.gather(*(shared.run_async("vars['n'] *= 2", {"n": n}, {})
                                      for n in range(1, 11)))
        values = await asyncio.gather(*(shared.evaluate_async("vars['n'] + 1", {"vars": {"n": n}})
                                        for n in range(5)))
        task.cancel()
        return runs, values, ticks
    runs, values, ticks = asyncio.run(main())
    assert [r["vars"]["n"] for r in runs] == [n * 2 for n in range(1, 11)]
    assert values == [1, 2, 3, 4, 5] and ticks > 0


def test_a_call_waits_for_a_free_worker_only_so_long():
    pool = ScriptPool(workers=1, limits=Limits(cpu_ms=60_000), queue_timeout_s=0.2)
    try:
        pool.warm()
        thread, _ = run_in_thread(pool, BUSY, timeout_ms=2000)
        wait_until(lambda: pool.pids() == [])
        with pytest.raises(ScriptError, match="no script worker became free") as caught:
            pool.run("x = 1", {}, {})
        assert caught.value.limit == "queue"
        thread.join(15)
    finally:
        pool.close()


def test_a_closed_pool_refuses_calls(make_pool):
    pool = make_pool()
    pool.run("x = 1", {}, {})
    pool.close()
    assert pool.pids() == []
    with pytest.raises(ScriptError, match="closed"):
        pool.run("x = 1", {}, {})


def test_scripts_never_run_in_the_calling_process():
    # the calling process's own interpreter of scripts refuses to run: the pool must go elsewhere
    code = ("import json\nfrom runtime.sandbox import policy\nfrom runtime.sandbox.pool import ScriptPool\n"
            "def refuse(*args, **kwargs):\n    raise AssertionError('ran in the calling process')\n"
            "policy.run_script = refuse\npool = ScriptPool(1)\n"
            "result = pool.run(\"return 'ran'\", {}, {})\npool.close()\n"
            "print(json.dumps(result['exit']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == "ran"


def test_the_shared_pool_is_one_pool_per_process():
    assert shared_pool() is shared_pool()
