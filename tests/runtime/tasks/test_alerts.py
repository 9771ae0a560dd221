"""Alert checks report a flow whose sessions keep failing, or failing deliveries, once a window."""

from __future__ import annotations

import json
import time

from sqlalchemy import insert

from runtime.messaging.signing import verify
from runtime.records.schema import executions
from runtime.records.schema import steps as steps_table
from runtime.tasks import check_alerts, findings

SECRET = "alert-secret-for-tests"
NOW = 1_800_000_000.0


def toml(gateway_url: str = "", **alerts) -> str:
    """Return settings with alert thresholds, tasks run where queued, callbacks to 127.0.0.1."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in alerts.items()]
    if gateway_url:
        lines.append(f'url = "{gateway_url}"')
    return ("[tasks]\nimmediate = true\nretries = 0\nretry_delay_s = 0\n"
            f'[webhooks]\nsecret = "{SECRET}"\n[http]\nallow = ["127.0.0.0/8"]\n'
            "[alerts]\n" + "\n".join(lines) + "\n")


def log_sessions(queue, flow_id: str, ok: int, failing: int, at: float = NOW - 60) -> None:
    """Write the step log of `ok` sessions that went well and `failing` ones with a block error."""
    engine = queue.records.engine
    rows = []
    for n in range(ok + failing):
        exit_name = "error" if n < failing else "next"
        rows.append({"session_id": f"{flow_id}-{n}", "turn": 1, "flow_id": flow_id, "block": "b",
                     "exit": exit_name, "ms": 1.0, "changes": "[]", "note": None, "at": at})
    with engine.begin() as conn:
        conn.execute(insert(steps_table), rows)


def test_a_flow_whose_sessions_keep_failing_is_found_and_a_healthy_one_is_not(task_queue):
    queue = task_queue(toml(error_rate=0.2, min_sessions=10))
    log_sessions(queue, "shaky", ok=7, failing=3)
    log_sessions(queue, "steady", ok=19, failing=1)
    [found] = findings(queue, now=NOW)
    assert (found["alert"], found["flow"], found["value"], found["sessions"]) == ("error_rate", "shaky", 0.3, 10)


def test_too_few_sessions_or_old_ones_raise_no_alert(task_queue):
    queue = task_queue(toml(error_rate=0.2, min_sessions=10, window_s=900))
    log_sessions(queue, "quiet", ok=1, failing=4)
    log_sessions(queue, "yesterday", ok=0, failing=50, at=NOW - 86_400)
    assert findings(queue, now=NOW) == []


def test_failed_deliveries_in_the_window_raise_an_alert(task_queue):
    queue = task_queue(toml(failed_deliveries=2))
    ledger = queue.ledger
    for n in range(2):
        payload = {"channel": "sms", "to": "+4915112345678", "text": "x"}
        ledger.open(f"m{n}", payload, NOW - 30)
        ledger.claim(f"m{n}", payload, lease_s=300, now=NOW - 30)
        ledger.fail(f"m{n}", 1, "gateway said 400", NOW - 20)
    [found] = findings(queue, now=NOW)
    assert (found["alert"], found["value"], found["threshold"]) == ("failed_deliveries", 2, 2)


def test_an_alert_is_posted_signed_and_only_once_per_window(task_queue, gateway):
    url = gateway.url.rsplit("/", 1)[0] + "/alerts"
    queue = task_queue(toml(url, error_rate=0.5, min_sessions=2))
    log_sessions(queue, "broken", ok=0, failing=4, at=time.time() - 10)
    assert check_alerts(queue) == 1
    assert check_alerts(queue) == 1  # found again a minute later: the same key, nothing posted
    [request] = gateway.requests
    body = json.loads(request["body"])
    assert (body["alert"], body["flow"], body["value"]) == ("error_rate", "broken", 1.0)
    verify(SECRET, request["headers"]["x-callwright-signature"], request["body"])


def test_without_thresholds_nothing_is_checked(task_queue):
    queue = task_queue(toml())
    log_sessions(queue, "broken", ok=0, failing=40)
    assert findings(queue, now=NOW) == []


def test_the_editor_s_simulations_raise_no_alert(task_queue):
    queue = task_queue(toml(error_rate=0.2, min_sessions=10))
    log_sessions(queue, "drafty", ok=0, failing=30)
    with queue.records.engine.begin() as conn:
        conn.execute(insert(executions), [
            {"session_id": f"drafty-{n}", "flow_id": "drafty", "flow_version": "draft",
             "channel": "chat", "status": "ended", "disposition": "error", "turns": 1,
             "steps": 1, "simulation": True, "started_at": NOW - 60, "updated_at": NOW - 60}
            for n in range(30)])
    assert findings(queue, now=NOW) == []
