"""Session store speed: microseconds per save and per get, memory, SQLite and Redis.

    python benchmarks/sessions.py [--count 5000] [--repeat 3] [--redis-url redis://HOST:PORT/DB]
    python benchmarks/sessions.py --processes 2 [--count 5000] [--gap-us 200] [--repeat 3]

One caller, one call at a time, on one waiting SMS session of a realistic size (a few
variables, a contact, a subflow frame): every save is a turn's save (revision check, conversation
index kept up to date), every get a turn's load. SQLite writes to a file in a temporary folder.
Redis is measured only with `--redis-url` (this script starts no server); its keys live under a
prefix of their own and are deleted afterwards, so any Redis will do, but a loopback one shows
the store's cost rather than the network's. Figures are the median of `--repeat` runs.

`--processes N` measures what `serve`'s worker processes do to each other instead: N processes
save new sessions into one SQLite store at the same time, each sleeping `--gap-us` between two
saves (its next request; sleeping rather than spinning keeps the CPUs from being the limit, so
the figures show the file's write lock rather than the scheduler), and the latency of each save
is recorded. It prints p50, p99, p99.9, the maximum and the number of saves over 1 ms, for a
store of one file (`shards=1`, as before sharding) and of 8, with a web-chat session (no contact
address: one statement) and a waiting SMS session (its index entry too).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.sessions.session import Frame, Session
from runtime.sessions import MemorySessionStore, RedisSessionStore, SessionStore, SqliteSessionStore


def waiting_session() -> Session:
    """Return a waiting SMS session with the kind of state a real conversation carries."""
    return Session(
        id=Session.new_id(), flow_id="verify-pin", flow_version="3", channel="sms", block="pin",
        vars={"attempt": 1, "account": "12345678", "name": "Анна Петрова", "tier": "gold",
              "bot": {"intent": "balance", "confidence": 0.91, "entities": {}}},
        contact={"from": "+4915112345678", "to": "+4930999000", "language": "ru"},
        trigger={"channel": "sms", "from": "+4915112345678", "to": "+4930999000",
                 "text": "баланс"},
        state={"attempts": 1}, status="waiting",
        frames=[Frame("support", "7", "verify", {}, {"topic": "balance", "tier": "gold"})])


def per_call_us(call: Callable[[], object], count: int) -> float:
    """Return the mean microseconds of `count` calls made one after the other."""
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1e6


def measure(store: SessionStore, count: int) -> dict[str, float]:
    """Return µs per save and per get of one session on a store."""
    session = waiting_session()
    store.save(session)
    per_call_us(lambda: store.save(session), min(count, 200))  # warm connections and scripts
    figures = {"save_us": per_call_us(lambda: store.save(session), count),
               "get_us": per_call_us(lambda: store.get(session.id), count)}
    store.delete(session.id)
    return figures


def backends(folder: Path, redis_url: str | None) -> dict[str, Callable[[], SessionStore]]:
    """Return a maker of a fresh store for each backend to measure."""
    makers: dict[str, Callable[[], SessionStore]] = {
        "memory": MemorySessionStore,
        "sqlite": lambda: SqliteSessionStore(folder / f"{uuid.uuid4().hex}.sqlite3"),
    }
    if redis_url:
        makers["redis"] = lambda: RedisSessionStore(redis_url,
                                                    prefix=f"bench-{uuid.uuid4().hex}:")
    return makers


def new_session(kind: str, number: int) -> Session:
    """Return a new session of a turn: web chat (never indexed) or SMS from its own contact."""
    session = waiting_session()
    if kind == "chat":
        session.channel, session.contact, session.trigger = "chat", {}, {"text": "hi"}
    else:
        session.contact = {**session.contact, "from": f"+49151{number:08d}"}
    return session


def saver(path: str, shards: int, kind: str, count: int, gap_us: float, offset: int,
          start: Any, results: Any) -> None:
    """Save `count` new sessions after the start barrier; put each save's µs on `results`."""
    store = SqliteSessionStore(path, shards=shards)
    try:
        for number in range(200):  # warm the connections of every shard
            store.save(new_session(kind, offset - number - 1))
        start.wait()
        latencies = []
        for number in range(count):
            session = new_session(kind, offset + number)
            started = time.perf_counter()
            store.save(session)
            done = time.perf_counter()
            latencies.append((done - started) * 1e6)
            time.sleep(gap_us / 1e6)  # the next request: idle, so the CPUs are not the limit
        results.put(latencies)
    finally:
        store.close()


def concurrent_saves(folder: Path, processes: int, shards: int, kind: str, count: int,
                     gap_us: float) -> dict[str, float]:
    """Return p50/p99/p99.9/max µs of saves made by `processes` processes into one store.

    Also how many saves took over a millisecond: those that waited for another process's
    write into the same file, or for a checkpoint's disk sync.
    """
    path = folder / f"{uuid.uuid4().hex}.sqlite3"
    SqliteSessionStore(path, shards=shards).close()  # lay the files out once, before the race
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=saver, args=(str(path), shards, kind, count, gap_us,
                                                   (n + 1) * 10_000_000, start, results))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    collected: list[float] = []
    for _ in workers:
        while True:
            try:
                collected += results.get(timeout=1)
                break
            except queue.Empty:
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    raise SystemExit(f"a saving process failed: exit codes "
                                     f"{[worker.exitcode for worker in workers]}") from None
    for worker in workers:
        worker.join(timeout=60)
    latencies = sorted(collected)
    return {"p50_us": latencies[len(latencies) // 2],
            "p99_us": latencies[int(len(latencies) * 0.99)],
            "p999_us": latencies[int(len(latencies) * 0.999)], "max_us": latencies[-1],
            "over_1ms": sum(1 for value in latencies if value > 1000)}


def main_processes(args: argparse.Namespace) -> None:
    """Print save latency percentiles of concurrent processes, one file against eight."""
    print(f"{args.processes} processes x {args.count} new sessions each, {args.gap_us:g} us "
          f"between saves, medians of {args.repeat} runs")
    print(f"{'kind':>5} {'shards':>6} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9} {'max us':>8} "
          f"{'> 1 ms':>7}")
    report = {}
    with tempfile.TemporaryDirectory(prefix="callwright-bench-") as folder:
        for kind in ("chat", "sms"):
            for shards in (1, 8):
                runs = [concurrent_saves(Path(folder), args.processes, shards, kind, args.count,
                                         args.gap_us) for _ in range(args.repeat)]
                figures = {key: round(statistics.median(run[key] for run in runs), 1)
                           for key in runs[0]}
                report[f"{kind}_shards_{shards}"] = figures
                print(f"{kind:>5} {shards:>6} {figures['p50_us']:>8.1f} {figures['p99_us']:>8.1f} "
                      f"{figures['p999_us']:>9.1f} {figures['max_us']:>8.1f} "
                      f"{figures['over_1ms']:>7.0f}")
    print(json.dumps({"benchmark": "session_store_processes", "processes": args.processes,
                      "count": args.count, "gap_us": args.gap_us, "repeat": args.repeat,
                      **report}))


def main() -> None:
    """Print µs per save and per get for each backend, as a table and as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--redis-url", default=None,
                        help="a Redis to measure against (without it Redis is skipped)")
    parser.add_argument("--processes", type=int, default=0,
                        help="measure N processes saving into one SQLite store at once instead")
    parser.add_argument("--gap-us", type=float, default=200.0,
                        help="with --processes: a process's pause between two saves")
    args = parser.parse_args()
    if args.processes:
        main_processes(args)
        return
    if not args.redis_url:
        print("redis: skipped (give --redis-url redis://HOST:PORT/DB to measure it)")
    report = {}
    with tempfile.TemporaryDirectory(prefix="callwright-bench-") as folder:
        for name, make in backends(Path(folder), args.redis_url).items():
            runs = []
            for _ in range(args.repeat):
                store = make()
                try:
                    runs.append(measure(store, args.count))
                finally:
                    store.close()
            report[name] = {key: round(statistics.median(run[key] for run in runs), 1)
                            for key in ("save_us", "get_us")}
            print(f"{name:>7}: save {report[name]['save_us']:>7.1f} us   "
                  f"get {report[name]['get_us']:>7.1f} us")
    print(json.dumps({"benchmark": "session_store", "count": args.count, "repeat": args.repeat,
                      **report}))


if __name__ == "__main__":
    main()
