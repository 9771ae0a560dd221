"""Inbound messages: one turn of a conversation at a time, in order, none lost, none run twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flows import SUPPORT

from runtime import Runtime
from runtime.engine.threadloop import thread_loop
from runtime.messaging.conversation import InboundChannel, Message, inbound_channel

ROOT = Path(__file__).resolve().parents[3]
CONTACT = "tg:4711"
ROUTES = {"schema": "callwright/routes@1", "webhook": {"support": "support"}}
# replies are queued, never sent: the queue is SQLite and no worker runs
TOML = """
[webhooks]
secret = "s"
url = "http://127.0.0.1:9/hook"
"""
# a second process sending messages of the same contact: it says when it is ready and starts
# when told, so that both processes send at the same instant
SENDER = """
import json, sys, time
from pathlib import Path
from runtime import Runtime
from runtime.engine.threadloop import thread_loop
root, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
runtime = Runtime.open(root)
(root / f"ready-{name}").touch()
while not (root / "go").exists():
    time.sleep(0.001)
results = [runtime.inbound("webhook", "tg:4711", "support", "1", f"{name}-{i}")
           for i in range(count)]
runtime.close()
print(json.dumps([r["session"] for r in results]))
"""


@pytest.fixture
def workspace(make_workspace, redis_or_not) -> Path:
    """Return a workspace routing `support` on the webhook, sessions in SQLite or Redis."""
    toml = TOML + (f'[storage]\nsessions_url = "{redis_or_not}"\n' if redis_or_not else "")
    return make_workspace(SUPPORT, routes=ROUTES, toml=toml)


@pytest.fixture(params=["sqlite", "redis"])
def redis_or_not(request) -> str | None:
    """Run a test with sessions in SQLite (file locks) and in Redis (Redis locks)."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


class Threads:
    """Threads started at one instant, each running `target(index)`; their event loops closed."""

    def __init__(self, count: int, target) -> None:
        self.loops: list = []
        start = threading.Barrier(count)

        def run(index: int) -> None:
            start.wait()
            try:
                target(index)
            finally:
                self.loops.append(thread_loop())  # run_sync's loop of this thread
        self.threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float = 60) -> None:
        """Wait for every thread."""
        for thread in self.threads:
            thread.join(timeout)

    def close(self) -> None:
        """Close the threads' event loops (after the runtime closed its clients on them)."""
        for loop in self.loops:
            loop.close()


def queued_places(runtime: Runtime, session_id: str) -> list[list[int]]:
    """Return the place of every reply of a session recorded in the ledger, in the order queued."""
    from sqlalchemy import select

    from runtime.records.schema import deliveries

    with runtime.queue.records.engine.connect() as conn:
        rows = conn.execute(select(deliveries.c.payload).order_by(deliveries.c.created_at))
        payloads = [json.loads(payload) for (payload,) in rows]
    return [p["place"] for p in payloads if p.get("conversation") == session_id]


def test_messages_of_one_contact_arriving_at_once_on_threads_all_run_one_after_another(
        workspace):
    runtime = Runtime.open(workspace)
    try:
        first = runtime.inbound("webhook", CONTACT, "support", "hello", "m-0")
        results: list[dict] = []
        threads = Threads(8, lambda index: results.append(
            runtime.inbound("webhook", CONTACT, "support", "1", f"m-{index + 1}")))
        threads.join()
        assert len(results) == 8
        assert {result["session"] for result in results} == {first["session"]}
        assert all(result["replies"][0]["text"] == "Your balance is 42.00 EUR."
                   for result in results)
        session = runtime.sessions.get(first["session"])
        assert session.turns == 9 and session.status == "waiting"
        # every turn's replies were queued after the turn before it, none lost
        places = queued_places(runtime, first["session"])
        assert places == sorted(places) and len(places) == 2 + 8 * 2
    finally:
        runtime.close()
        threads.close()


def test_messages_of_one_contact_from_two_processes_at_once_all_run(workspace):
    runtime = Runtime.open(workspace)
    try:
        first = runtime.inbound("webhook", CONTACT, "support", "hello", "m-0")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        processes = [subprocess.Popen([sys.executable, "-c", SENDER, str(workspace), name, "3"],
                                      cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
                     for name in ("a", "b")]
        deadline = time.monotonic() + 60
        while not all((workspace / f"ready-{name}").exists() for name in ("a", "b")):
            assert time.monotonic() < deadline, [p.stderr.read() for p in processes if p.poll()]
            time.sleep(0.01)
        (workspace / "go").touch()
        seen = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err.decode()
            seen += json.loads(out)
        assert set(seen) == {first["session"]}
        session = runtime.sessions.get(first["session"])
        assert session.turns == 7
        places = queued_places(runtime, first["session"])
        assert places == sorted(places) and len(places) == 2 + 6 * 2
    finally:
        runtime.close()


def test_a_message_arriving_during_its_conversation_s_turn_waits_for_it(workspace):
    runtime = Runtime.open(workspace)
    try:
        first = runtime.inbound("webhook", CONTACT, "support", "hello", "m-0")
        name = inbound_channel("webhook").lock_name(Message("webhook", CONTACT, "support", "1"),
                                                    "support")
        done: list[dict] = []
        with runtime.sessions.locks.hold(name):  # as a turn in another process would
            waiting = Threads(1, lambda index: done.append(
                runtime.inbound("webhook", CONTACT, "support", "1", "m-1")))
            waiting.join(0.3)
            assert done == [] and runtime.sessions.get(first["session"]).turns == 1
        waiting.join()
        assert done[0]["session"] == first["session"]
        assert runtime.sessions.get(first["session"]).turns == 2
    finally:
        runtime.close()
        waiting.close()


def test_a_redelivered_message_runs_nothing_even_when_it_arrives_at_the_same_instant(workspace):
    runtime = Runtime.open(workspace)
    try:
        first = runtime.inbound("webhook", CONTACT, "support", "hello", "m-0")
        results: list[dict] = []
        threads = Threads(4, lambda index: results.append(
            runtime.inbound("webhook", CONTACT, "support", "1", "same-id")))
        threads.join()
        assert sorted(result["duplicate"] for result in results) == [False, True, True, True]
        assert runtime.sessions.get(first["session"]).turns == 2
    finally:
        runtime.close()
        threads.close()


def test_extra_fields_of_a_channel_reach_its_inbound_channel(workspace, monkeypatch):
    seen: list[dict] = []

    class Recording(InboundChannel):
        name = "webhook"

        def trigger(self, message: Message) -> tuple[dict, dict]:
            seen.append(message.extra)
            return super().trigger(message)

    import runtime.messaging.conversation as conversation

    monkeypatch.setitem(conversation._INBOUND, "webhook", Recording())
    runtime = Runtime.open(workspace)
    try:
        runtime.inbound("webhook", CONTACT, "support", "hello", "m-0",
                        headers={"In-Reply-To": "<a@b>"})
        assert seen == [{"headers": {"In-Reply-To": "<a@b>"}}]
    finally:
        runtime.close()


def test_two_chat_turns_of_one_session_at_once_both_run_one_after_the_other(workspace):
    runtime = Runtime.open(workspace)
    try:
        first = runtime.chat_turn("support", None, "hello")
        results: list[dict] = []
        threads = Threads(4, lambda index: results.append(
            runtime.chat_turn("support", first["session"], "1")))
        threads.join()
        assert [result["replies"][0]["text"] for result in results] == \
            ["Your balance is 42.00 EUR."] * 4
        assert runtime.sessions.get(first["session"]).turns == 5
    finally:
        runtime.close()
        threads.close()
