"""Script sandbox speed: per-call overhead of a trivial script, and throughput with 2 workers.

    python benchmarks/sandbox.py [--calls 5000] [--seconds 5] [--clients 8]

Overhead is one caller, one call at a time, on a warm pool (workers started, script compiled):
everything a call costs beyond the script itself (JSON both ways, the pipe, arming and lifting
the limits in the worker, the sandbox's globals). It is measured for `run` (a `script` block),
`evaluate` (an `expr` condition) and `run_async` (the engine's path, through a thread).
Throughput is `--clients` threads calling as fast as they can for `--seconds` on 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from typing import Callable

from runtime.sandbox.pool import ScriptPool

TRIVIAL = "vars['n'] += 1\nreturn 'next' if vars['n'] > 0 else None"
EXPRESSION = "vars['balance'] > 100 and contact['tier'] == 'gold'"


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50, p99 and mean of samples in seconds, as microseconds."""
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_us": round(pick(0.50) * 1e6, 1), "p99_us": round(pick(0.99) * 1e6, 1),
            "mean_us": round(statistics.fmean(ordered) * 1e6, 1)}


def timed(call: Callable[[], object], count: int) -> list[float]:
    """Time `count` calls one after the other."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def timed_async(pool: ScriptPool, count: int) -> list[float]:
    """Time `count` awaited run_async calls on one event loop."""
    async def main() -> list[float]:
        """Await the calls one by one."""
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            await pool.run_async(TRIVIAL, {"n": 1}, {})
            samples.append(time.perf_counter() - started)
        return samples
    return asyncio.run(main())


def throughput(pool: ScriptPool, clients: int, seconds: float) -> float:
    """Return calls per second completed by `clients` threads sharing the pool."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(slot: int) -> None:
        """Call until the time is up."""
        while time.monotonic() < stop:
            pool.run(TRIVIAL, {"n": slot}, {})
            done[slot] += 1
    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    """Print the overhead percentiles and the throughput, as text and as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    pool = ScriptPool(workers=2)
    try:
        pool.warm()
        timed(lambda: pool.run(TRIVIAL, {"n": 1}, {}), 500)  # compile and warm both workers
        scope = {"vars": {"balance": 150}, "contact": {"tier": "gold"}, "trigger": {}}
        report = {
            "run": percentiles(timed(lambda: pool.run(TRIVIAL, {"n": 1}, {}), args.calls)),
            "evaluate": percentiles(timed(lambda: pool.evaluate(EXPRESSION, scope), args.calls)),
            "run_async": percentiles(timed_async(pool, args.calls)),
        }
        rate = throughput(pool, args.clients, args.seconds)
    finally:
        pool.close()
    for name, figures in report.items():
        print(f"{name:>10}: p50 {figures['p50_us']:>7.1f} us  p99 {figures['p99_us']:>8.1f} us  "
              f"mean {figures['mean_us']:>7.1f} us")
    print(f"throughput: {rate:,.0f} calls/s with 2 workers and {args.clients} client threads")
    print(json.dumps({"benchmark": "script_sandbox", "calls": args.calls, **report,
                      "workers": 2, "clients": args.clients,
                      "throughput_calls_per_s": round(rate)}))


if __name__ == "__main__":
    main()
