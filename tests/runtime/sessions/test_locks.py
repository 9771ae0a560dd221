"""Every session store's conversation lock: one holder at a time, in threads, processes and nodes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from runtime.sessions import ConversationBusy, RedisLocks, RedisSessionStore, SqliteSessionStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# a second process opening the same store: it takes the lock, says so, and holds it until killed
HOLDER = """
import sys, time
from runtime.sessions import open_session_store
store = open_session_store(sys.argv[1])
with store.locks.hold(sys.argv[2]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_conversation_s_lock_has_one_holder_at_a_time_and_others_wait_for_it(store):
    inside, most = [0], [0]
    guard = threading.Lock()

    def turn() -> None:
        with store.locks.hold('["sms","+4915112345678","support"]'):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=turn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == [1] and inside == [0]


def test_two_conversations_do_not_wait_for_each_other(store):
    with store.locks.hold("conversation-a"):
        with store.locks.hold("conversation-b"):
            pass


def test_a_lock_held_longer_than_a_turn_may_take_refuses_the_next_turn_clearly(store):
    store.locks.wait_s = 0.2
    with store.locks.hold("stuck"):
        started = time.monotonic()
        with pytest.raises(ConversationBusy, match="conversation stuck is busy"):
            with store.locks.hold("stuck"):
                pass
        assert 0.15 < time.monotonic() - started < 5
    with store.locks.hold("stuck"):  # and it is free again once released
        pass


def test_an_event_loop_waits_for_a_held_lock_without_blocking_its_other_work(store):
    async def main() -> list[str]:
        said: list[str] = []
        with store.locks.hold("c"):
            waiter = asyncio.ensure_future(_hold_async(store, "c", said))
            await asyncio.sleep(0.05)
            said.append("loop still runs")
        await asyncio.wait_for(waiter, 10)
        return said

    assert asyncio.run(main()) == ["loop still runs", "second turn"]


async def _hold_async(store, name: str, said: list[str]) -> None:
    async with store.locks.hold_async(name):
        said.append("second turn")


@pytest.fixture(params=["sqlite", "redis"])
def shared_url(request, tmp_path) -> str:
    """Return the URL of a store that several processes share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    return request.getfixturevalue("redis_url")


def test_another_process_holding_the_lock_keeps_this_one_out_until_it_dies(shared_url):
    from runtime.sessions import open_session_store

    store = open_session_store(shared_url)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, shared_url, "c-1"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT}, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        assert store.locks._take("c-1", 0.1) is None
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        if isinstance(store.locks, RedisLocks):
            # a dead node's Redis lock frees itself when its lease runs out
            store.locks._client.pexpire(f"{store.prefix}lock:c-1", 50)
        with store.locks.hold("c-1"):
            pass
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(10)
        holder.stdout.close()
        store.close()


def test_a_redis_lock_is_kept_past_its_lease_while_its_holder_lives(redis_url):
    store = RedisSessionStore(redis_url)
    try:
        store._locks = RedisLocks(store._client, store.prefix, lease_s=0.3)
        with store.locks.hold("long-turn"):
            time.sleep(0.8)  # more than twice the lease
            assert store.locks._take("long-turn", 0) is None
    finally:
        store.close()


def test_the_sqlite_store_s_locks_live_beside_its_file(tmp_path):
    store = SqliteSessionStore(tmp_path / "data" / "sessions.sqlite3")
    try:
        with store.locks.hold("c"):
            assert [path.suffix for path in (tmp_path / "data" / "locks").iterdir()] == [".lock"]
    finally:
        store.close()
