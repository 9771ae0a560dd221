"""Periodic jobs: interrupted deliveries come back, old sessions go, the step log is rolled up."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from runtime.sessions.session import Session
from runtime.sessions import RedisSessionStore, SqliteSessionStore
from runtime.records.schema import steps as steps_table
from runtime.tasks import expire_sessions, requeue_stuck, roll_up_steps, rollup_rows

SMS = {"channel": "sms", "to": "+4915112345678", "text": "Your code is 4711."}


def toml(gateway_url: str, retries: int = 2) -> str:
    """Return settings for SMS through a gateway on 127.0.0.1, tasks run where queued."""
    return (f'[sms]\ngateway = "{gateway_url}"\n[webhooks]\nsecret = "secret"\n'
            f'[http]\nallow = ["127.0.0.0/8"]\n'
            f"[tasks]\nimmediate = true\nretries = {retries}\nretry_delay_s = 0\n")


def interrupted(queue, key: str, at: float, attempts: int = 1) -> None:
    """Leave a message as a worker killed mid-send leaves it: `sending` since `at`."""
    ledger = queue.ledger
    ledger.open(key, SMS, at)
    for _ in range(attempts):
        ledger.claim(key, SMS, lease_s=0, now=at)


def test_a_delivery_whose_worker_died_is_queued_again_and_delivered_once(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    interrupted(queue, "s1.1.1.notify", at=time.time() - 600)
    assert requeue_stuck(queue, lease_s=300) == 1
    assert list(gateway.delivered) == ["s1.1.1.notify"]
    row = queue.ledger.get("s1.1.1.notify")
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    assert requeue_stuck(queue, lease_s=300) == 0
    assert len(gateway.requests) == 1


def test_a_delivery_still_within_its_lease_is_left_to_its_worker(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    interrupted(queue, "s2.1.1.notify", at=time.time() - 10)
    assert requeue_stuck(queue, lease_s=300) == 0
    assert gateway.requests == []
    assert queue.ledger.get("s2.1.1.notify")["state"] == "sending"


def test_a_delivery_that_used_up_its_attempts_is_recorded_as_failed_not_dropped(task_queue,
                                                                               gateway):
    queue = task_queue(toml(gateway.url, retries=1))
    interrupted(queue, "s3.1.1.notify", at=time.time() - 600, attempts=2)
    assert requeue_stuck(queue, lease_s=300) == 0
    row = queue.ledger.get("s3.1.1.notify")
    assert row["state"] == "failed"
    assert row["last_error"].startswith("gave up after 2 attempts; last: interrupted")
    assert gateway.requests == []


def test_a_queued_delivery_that_never_started_is_queued_again(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    queue.ledger.open("s4.1.1.notify", SMS, time.time() - 600)
    assert requeue_stuck(queue, lease_s=300) == 1
    assert list(gateway.delivered) == ["s4.1.1.notify"]


def test_the_jobs_run_every_minute_quarter_hour_and_hour(task_queue):
    queue = task_queue("")

    def due(hour: int, minute: int) -> set[str]:
        moment = datetime(2026, 3, 2, hour, minute)
        return {task.name for task in queue.huey.read_periodic(moment)}

    every_minute = {"recover_deliveries", "check_alerts_task"}
    assert due(10, 7) == every_minute
    assert due(10, 5) == every_minute | {"roll_up"}
    assert due(10, 15) == every_minute | {"clean_up_sessions"}


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_sessions_not_saved_within_the_ttl_are_expired(task_queue, request, backend):
    if backend == "redis":
        url = request.getfixturevalue("redis_url")
        queue = task_queue(f'[storage]\nsessions_url = "{url}"\n')
        store = RedisSessionStore(url)
    else:
        queue = task_queue("")
        store = SqliteSessionStore(queue.config.sessions_url.removeprefix("sqlite:///"))
    old, new = (Session(id=Session.new_id(), flow_id="f", flow_version="1", channel="chat",
                        block="b", vars={}, contact={}, trigger={}) for _ in range(2))
    store.save(old)
    between = time.time()
    time.sleep(0.01)
    store.save(new)
    assert expire_sessions(queue, now=between + 100, ttl_s=100) == 1
    assert store.get(old.id) is None and store.get(new.id) is not None
    assert store.expire(time.time() + 1) == 1
    store.close()


def test_without_a_session_file_nothing_is_expired_or_created(task_queue):
    queue = task_queue("")
    assert expire_sessions(queue) == 0
    assert not (queue.config.root / ".callwright" / "sessions.sqlite3").exists()
    memory = task_queue('[storage]\nsessions_url = "memory:"\n')
    assert expire_sessions(memory) == 0


def day(text: str, hour: int) -> float:
    """Return the unix time of an hour of a UTC day."""
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=timezone.utc).timestamp()


def add_steps(queue, *steps: tuple[str, str, str | None, float]) -> None:
    """Write steps (session, flow, exit, at) into the execution log's table."""
    engine = queue.records.engine
    with engine.begin() as conn:
        conn.execute(insert(steps_table), [
            {"session_id": session, "turn": 1, "flow_id": flow, "block": "b", "exit": exit_name,
             "ms": 1.0, "changes": json.dumps([]), "note": None, "at": at}
            for session, flow, exit_name, at in steps])


def test_the_step_log_is_rolled_up_per_flow_and_day(task_queue):
    queue = task_queue("")
    add_steps(queue, ("a", "bank", "next", day("2026-03-01", 23)),
              ("a", "bank", "error", day("2026-03-02", 0)),
              ("b", "bank", "next", day("2026-03-02", 9)),
              ("c", "support", None, day("2026-03-02", 10)))
    assert roll_up_steps(queue) == 2
    assert rollup_rows(queue) == [
        {"flow_id": "bank", "day": "2026-03-01", "steps": 1, "sessions": 1, "errors": 0},
        {"flow_id": "bank", "day": "2026-03-02", "steps": 2, "sessions": 2, "errors": 1},
        {"flow_id": "support", "day": "2026-03-02", "steps": 1, "sessions": 1, "errors": 0}]


def test_rolling_up_again_changes_nothing_and_late_steps_recount_their_day(task_queue):
    queue = task_queue("")
    add_steps(queue, ("a", "bank", "next", day("2026-03-01", 8)),
              ("b", "bank", "next", day("2026-03-02", 8)))
    roll_up_steps(queue)
    before = rollup_rows(queue)
    assert roll_up_steps(queue) == 0
    assert rollup_rows(queue) == before
    add_steps(queue, ("c", "bank", "error", day("2026-03-01", 9)))
    assert roll_up_steps(queue) == 1
    assert rollup_rows(queue)[0] == {"flow_id": "bank", "day": "2026-03-01", "steps": 2,
                                      "sessions": 2, "errors": 1}
    assert rollup_rows(queue)[1] == before[1]


def test_an_empty_step_log_rolls_up_nothing(task_queue):
    queue = task_queue("")
    assert roll_up_steps(queue) == 0
    assert rollup_rows(queue) == []


def test_an_interrupted_status_callback_is_queued_again_as_a_callback(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    row = {"channel": "callback", "url": gateway.url + "/status",
           "body": {"execution": "s9", "status": "ended"}}
    ledger = queue.ledger
    at = time.time() - 600
    ledger.open("s9.1.callback", row, at)
    ledger.claim("s9.1.callback", row, lease_s=0, now=at)
    assert requeue_stuck(queue, lease_s=300) == 1
    [request] = gateway.requests
    assert request["path"].endswith("/status")
    assert json.loads(request["body"]) == {"execution": "s9", "status": "ended"}
    assert ledger.get("s9.1.callback")["state"] == "delivered"
