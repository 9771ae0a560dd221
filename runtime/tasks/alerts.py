"""Alert checks: a flow whose sessions keep failing, or deliveries that keep failing, is reported.

Every minute the checks look back over `[alerts] window_s` and post each finding, signed, to
`[alerts] url` through the status-callback delivery (ledger, retries). The idempotency key names
the check, the flow and the window, so one condition is reported once per window, not every minute.
"""

from __future__ import annotations

import logging
import time

from huey import crontab
from sqlalchemy import distinct, func, select

from runtime.records import not_simulated
from runtime.records.schema import deliveries
from runtime.records.schema import steps as steps_table

from .queue import TaskQueue

log = logging.getLogger(__name__)
DEFAULT_WINDOW_S = 900.0
DEFAULT_MIN_SESSIONS = 20


def register(queue: TaskQueue) -> None:
    """Put the alert checks on a queue, every minute in consumers started with periodic on."""
    queue.periodic(crontab(minute="*"), check_alerts_task)


def findings(queue: TaskQueue, now: float | None = None) -> list[dict]:
    """Return what crosses a configured threshold in the window ending now."""
    settings = queue.config.settings.get("alerts", {})
    window = float(settings.get("window_s", DEFAULT_WINDOW_S))
    moment = time.time() if now is None else now
    found: list[dict] = []
    with queue.records.engine.connect() as conn:
        if "error_rate" in settings:
            found += _error_rates(conn, settings, moment - window)
        if "failed_deliveries" in settings:
            failed = conn.execute(select(func.count()).select_from(deliveries).where(
                deliveries.c.state == "failed", deliveries.c.updated_at >= moment - window)
            ).scalar_one()
            if failed >= settings["failed_deliveries"]:
                found.append({"alert": "failed_deliveries", "value": failed,
                              "threshold": settings["failed_deliveries"]})
    for finding in found:
        finding.update(window_s=window, at=moment)
    return found


def _error_rates(conn, settings: dict, since: float) -> list[dict]:
    """Return flows whose share of sessions with a block error reaches the threshold."""
    sessions = func.count(distinct(steps_table.c.session_id))
    lived = not_simulated(steps_table.c.session_id)
    rows = conn.execute(select(steps_table.c.flow_id, sessions).where(
        steps_table.c.at >= since, lived).group_by(steps_table.c.flow_id)).all()
    failing = dict(conn.execute(select(steps_table.c.flow_id, sessions).where(
        steps_table.c.at >= since, steps_table.c.exit == "error", lived).group_by(
        steps_table.c.flow_id)).all())
    found = []
    least = int(settings.get("min_sessions", DEFAULT_MIN_SESSIONS))
    for flow_id, total in rows:
        rate = failing.get(flow_id, 0) / total
        if total >= least and rate >= settings["error_rate"]:
            found.append({"alert": "error_rate", "flow": flow_id, "value": round(rate, 4),
                          "threshold": settings["error_rate"], "sessions": total})
    return found


def check_alerts(queue: TaskQueue, now: float | None = None) -> int:
    """Post every finding to `[alerts] url`, once per window; return how many were queued."""
    url = queue.config.settings.get("alerts", {}).get("url")
    found = findings(queue, now)
    if found and not url:
        log.warning("%d alert(s) found but [alerts] url is not set: %s", len(found), found)
        return 0
    for finding in found:
        bucket = int(finding["at"] // finding["window_s"])
        key = f"alert.{finding['alert']}.{finding.get('flow', '-')}.{bucket}"
        queue.enqueue("callback", {"url": url, "body": finding}, key)
    return len(found)


def check_alerts_task(queue: TaskQueue) -> int:
    """Every minute: run the alert checks of the workspace's settings."""
    return check_alerts(queue)
