"""Session store speed: microseconds per save and per get, memory, SQLite and Redis.

    python benchmarks/sessions.py [--count 5000] [--repeat 3] [--redis-url redis://HOST:PORT/DB]

One caller, one call at a time, on one waiting SMS session of a realistic size (a few
variables, a contact, a subflow frame): every save is a turn's save (revision check, conversation
index kept up to date), every get a turn's load. SQLite writes to a file in a temporary folder.
Redis is measured only with `--redis-url` (this script starts no server); its keys live under a
prefix of their own and are deleted afterwards, so any Redis will do, but a loopback one shows
the store's cost rather than the network's. Figures are the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from runtime.session import Frame, Session
from runtime.store import MemorySessionStore, RedisSessionStore, SessionStore, SqliteSessionStore


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


def main() -> None:
    """Print µs per save and per get for each backend, as a table and as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--redis-url", default=None,
                        help="a Redis to measure against (without it Redis is skipped)")
    args = parser.parse_args()
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
