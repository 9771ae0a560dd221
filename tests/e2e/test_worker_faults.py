"""`callwright worker` against a real Redis: killed workers, a restarted Redis, a failing gateway.

Huey delivers at most once; with the delivery ledger, the re-enqueue of interrupted work and
Redis's append-only file, every message here is delivered exactly once, never silently lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest

from runtime.tasks import QueueUnavailable, requeue_stuck
from serving import callwright_command as command
from serving import stop

HOLD = "hold"  # the gateway fixture's answer that keeps a request open (tests/conftest.py)
START_TIMEOUT_S = 120.0  # a worker normally starts in about a second; a loaded machine is slower
STOP_TIMEOUT_S = 30.0


def settings(gateway_url: str, redis_url: str, retry_delay_s: float = 0.5, retries: int = 3,
             lease_s: float | None = None) -> str:
    """Return a callwright.toml: Redis queue, SMS through the gateway, quick retries."""
    return f"""
[storage]
redis_url = "{redis_url}"
[sms]
gateway = "{gateway_url}"
from = "+4930999000"
[webhooks]
secret = "e2e-secret"
[http]
allow = ["127.0.0.0/8"]
[tasks]
retries = {retries}
retry_delay_s = {retry_delay_s}
""" + (f"lease_s = {lease_s}\n" if lease_s is not None else "")


def sms(text: str) -> dict:
    """Return the payload of an SMS."""
    return {"channel": "sms", "to": "+4915112345678", "text": text}


class Workers:
    """Worker processes started by a test, with their logs; all stopped when it ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, root: Path, threads: int = 1) -> subprocess.Popen:
        """Start `callwright worker` with `threads` threads on a workspace."""
        log = self.folder / f"worker-{len(self.started) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command("worker", "--workspace", str(root), "--workers",
                                               str(threads)),
                                       stdout=out, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def logs(self) -> str:
        """Return every worker's log, for a failure message."""
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')}"
                         for path in sorted(self.folder.glob("worker-*.log")))

    def wait_until(self, check: Callable[[], bool], what: str,
                   timeout: float = START_TIMEOUT_S) -> None:
        """Wait (bounded) until `check()`; fail naming what did not happen, with the logs."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not happen within {timeout:g} s\n{self.logs()}")
            time.sleep(0.05)


@pytest.fixture
def workers(tmp_path: Path) -> Workers:
    """Start workers for a test; stop each by its PID afterwards."""
    started = Workers(tmp_path)
    yield started
    for process in started.started:
        stop(process, STOP_TIMEOUT_S)


def row(queue, key: str) -> dict | None:
    """Return a message's ledger row."""
    return queue.ledger.get(key)


def state(queue, key: str) -> str | None:
    """Return a message's delivery state."""
    found = row(queue, key)
    return found["state"] if found else None


def queued_sends(queue) -> list[str]:
    """Return the keys of the deliveries waiting in the queue, next first."""
    return [task.args[0] for task in queue.huey.pending() if task.name == "send_message"]


def keys_seen(gateway) -> list[str]:
    """Return the idempotency key of every request the gateway got, checking the body's id."""
    keys = [r["headers"]["idempotency-key"] for r in gateway.requests]
    assert keys == [json.loads(r["body"])["id"] for r in gateway.requests]
    return keys


def test_a_worker_killed_mid_send_is_recovered_and_the_message_delivered_once(
        task_queue, gateway, redis_url, workers):
    queue = task_queue(settings(gateway.url, redis_url))
    gateway.answer(HOLD)
    first = workers.start(queue.config.root)
    queue.enqueue("send", sms("Your code is 4711."), "kill.1.1.notify")
    workers.wait_until(lambda: len(gateway.requests) == 1, "the first attempt")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(STOP_TIMEOUT_S)
    assert (row(queue, "kill.1.1.notify")["state"], row(queue, "kill.1.1.notify")["attempts"]) == ("sending", 1)
    gateway.release()  # the gateway accepts the held request; the dead worker never hears it
    workers.start(queue.config.root)
    assert requeue_stuck(queue, lease_s=0) == 1  # what the periodic job does after the lease
    workers.wait_until(lambda: state(queue, "kill.1.1.notify") == "delivered", "the recovered delivery")
    assert keys_seen(gateway) == ["kill.1.1.notify", "kill.1.1.notify"]
    assert list(gateway.delivered) == ["kill.1.1.notify"]  # the gateway dropped the copy
    assert row(queue, "kill.1.1.notify")["attempts"] == 2


def test_a_worker_stopped_mid_send_puts_the_message_back_on_the_queue(
        task_queue, gateway, redis_url, workers):
    queue = task_queue(settings(gateway.url, redis_url))
    gateway.answer(HOLD)
    first = workers.start(queue.config.root)
    queue.enqueue("send", sms("Your code is 4711."), "term.1.1.notify")
    workers.wait_until(lambda: len(gateway.requests) == 1, "the first attempt")
    stop(first, STOP_TIMEOUT_S)  # SIGTERM: the consumer stops without waiting for the held request
    assert first.returncode == 0, workers.logs()
    assert state(queue, "term.1.1.notify") == "pending", workers.logs()
    assert row(queue, "term.1.1.notify")["last_error"] == "interrupted: the worker stopped"
    assert queued_sends(queue) == ["term.1.1.notify"]
    gateway.release()
    workers.start(queue.config.root)
    workers.wait_until(lambda: state(queue, "term.1.1.notify") == "delivered", "the re-queued delivery")
    assert keys_seen(gateway) == ["term.1.1.notify"] * 2
    assert list(gateway.delivered) == ["term.1.1.notify"]


def test_redis_restarted_while_tasks_wait_loses_none_of_them(task_queue, gateway, own_redis,
                                                              workers):
    queue = task_queue(settings(gateway.url, own_redis.url))
    gateway.answer(HOLD)
    workers.start(queue.config.root)
    queue.enqueue("send", sms("one"), "redis.1.1.a")
    workers.wait_until(lambda: len(gateway.requests) == 1, "the first delivery to start")
    queue.enqueue("send", sms("two"), "redis.1.1.b")
    queue.enqueue("send", sms("three"), "redis.1.1.c")
    assert queued_sends(queue) == ["redis.1.1.b", "redis.1.1.c"]  # the worker's thread is busy
    own_redis.stop()
    with pytest.raises(QueueUnavailable, match=f"the task queue at {own_redis.url} is unavailable"):
        queue.enqueue("send", sms("four"), "redis.1.1.d")
    assert row(queue, "redis.1.1.d") is None  # refused, not half-recorded: the step may try again
    gateway.release()
    workers.wait_until(lambda: state(queue, "redis.1.1.a") == "delivered", "the held delivery to end")
    own_redis.start()  # same port and folder: the append-only file brings the queue back
    workers.wait_until(lambda: state(queue, "redis.1.1.b") == state(queue, "redis.1.1.c") == "delivered",
                       "the queued deliveries after Redis came back")
    queue.enqueue("send", sms("four"), "redis.1.1.d")
    workers.wait_until(lambda: state(queue, "redis.1.1.d") == "delivered", "a delivery queued afterwards")
    assert sorted(keys_seen(gateway)) == ["redis.1.1.a", "redis.1.1.b", "redis.1.1.c",
                                          "redis.1.1.d"]


def test_a_gateway_answering_500_then_200_gets_the_message_once_after_a_backed_off_retry(
        task_queue, gateway, redis_url, workers):
    queue = task_queue(settings(gateway.url, redis_url, retry_delay_s=0.5))
    gateway.answer(500, 200)
    workers.start(queue.config.root)
    queue.enqueue("send", sms("Your code is 4711."), "retry.1.1.notify")
    workers.wait_until(lambda: state(queue, "retry.1.1.notify") == "delivered", "the retried delivery")
    first, second = gateway.requests
    assert second["at"] - first["at"] >= 0.5
    assert keys_seen(gateway) == ["retry.1.1.notify"] * 2
    assert list(gateway.delivered) == ["retry.1.1.notify"]
    assert row(queue, "retry.1.1.notify")["attempts"] == 2


# --- the replies of one conversation -----------------------------------------------------------

def replies(conversation: str, *texts: str) -> list[tuple[dict, str]]:
    """Return a turn's replies as the runtime queues them: payload and key, with their place."""
    return [({**sms(text), "conversation": conversation, "place": [1, index]},
             f"{conversation}.1.reply.{index}") for index, text in enumerate(texts, 1)]


def test_a_worker_killed_mid_send_is_replaced_within_seconds_and_replies_keep_their_order(
        task_queue, gateway, redis_url, workers):
    queue = task_queue(settings(gateway.url, redis_url, lease_s=1.0))
    gateway.answer(HOLD)
    first = workers.start(queue.config.root, threads=2)  # two threads: reply 2 could overtake
    queue.enqueue_all("send", replies("conv", "one", "two", "three"))
    workers.wait_until(lambda: len(gateway.requests) == 1, "the first reply to be sent")
    time.sleep(2.5)  # more than twice the lease: heartbeats keep the slow send its own
    assert keys_seen(gateway) == ["conv.1.reply.1"], workers.logs()
    assert state(queue, "conv.1.reply.1") == "sending"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(STOP_TIMEOUT_S)
    killed = time.monotonic()
    gateway.release()  # the gateway accepts the held request; the dead worker never hears it
    workers.start(queue.config.root, threads=2)
    # nobody runs the recovery by hand: the new worker notices the lease ran out
    workers.wait_until(lambda: all(state(queue, f"conv.1.reply.{n}") == "delivered"
                                   for n in (1, 2, 3)), "every reply delivered", timeout=60)
    again = [r["at"] for r in gateway.requests if r["headers"]["idempotency-key"] == "conv.1.reply.1"]
    assert again[1] - killed < 10, "the interrupted reply was sent again within seconds"
    assert keys_seen(gateway) == ["conv.1.reply.1", "conv.1.reply.1", "conv.1.reply.2",
                                  "conv.1.reply.3"]  # the same key again, and 2 never before 1
    assert list(gateway.delivered) == ["conv.1.reply.1", "conv.1.reply.2", "conv.1.reply.3"]


def test_a_gateway_answering_500_for_a_while_gets_every_reply_once_and_in_order(
        task_queue, gateway, redis_url, workers):
    queue = task_queue(settings(gateway.url, redis_url, retry_delay_s=0.3, retries=6))
    gateway.fail_for(3.0)  # the outage of 20 s in the issue, shortened
    workers.start(queue.config.root, threads=2)
    queue.enqueue_all("send", replies("down", "one", "two", "three"))
    workers.wait_until(lambda: all(state(queue, f"down.1.reply.{n}") == "delivered"
                                   for n in (1, 2, 3)), "every reply delivered", timeout=60)
    assert list(gateway.delivered) == ["down.1.reply.1", "down.1.reply.2", "down.1.reply.3"]
    keys = keys_seen(gateway)
    # only the first reply knocked at the closed door; the others waited behind it
    assert set(keys[:-2]) == {"down.1.reply.1"} and len(keys) >= 3
    assert keys[-2:] == ["down.1.reply.2", "down.1.reply.3"]
