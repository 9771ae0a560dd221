"""The `campaign` task: advance a campaign, then come back soon, or when its window opens.

A worker keeps one Runtime per workspace configuration; the campaign rows and the claim in
`runtime.campaigns.progress.advance` make a task that runs twice, or beside another worker, harmless.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from runtime import campaigns

from .queue import TaskConfig, current, huey, producer, put

log = logging.getLogger(__name__)
POLL_S = 15.0  # inside the window: how soon to look again for ended sessions and free places
_runtimes: dict[tuple, object] = {}
_lock = threading.Lock()


@producer("campaign")
def queue_campaign(payload: dict, key: str) -> None:
    """Queue the first advance of a campaign `{campaign}`."""
    put(advance_campaign.s(payload["campaign"]))


def worker_runtime(config: TaskConfig) -> object:
    """Return this process's Runtime of the configured workspace, opened on first use."""
    from runtime.runtime import Runtime

    key = (str(config.root), config.database_url, config.sessions_url)
    with _lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            runtime = _runtimes[key] = Runtime.open(config.root, sessions_url=config.sessions_url,
                                                    database_url=config.database_url)
        return runtime


def close_runtimes() -> None:
    """Close the runtimes this process opened for campaigns."""
    with _lock:
        runtimes = list(_runtimes.values())
        _runtimes.clear()
    for runtime in runtimes:
        runtime.close()


def next_delay(result: dict, now: datetime) -> float | None:
    """Return the seconds until the next advance, or None when the campaign is over."""
    if result["status"] != "running":
        return None
    if result["inside"]:
        return POLL_S
    return max(1.0, (result["next_at"] - now).total_seconds())


@huey.task()
def advance_campaign(campaign_id: str) -> str:
    """Advance a campaign once and schedule the next advance while it runs."""
    now = datetime.now(timezone.utc)
    try:
        result = campaigns.advance(worker_runtime(current()), campaign_id, now)
    except campaigns.CampaignNotFound:
        log.warning("campaign %s does not exist (any more); not advanced again", campaign_id)
        return "missing"
    except Exception:  # a database hiccup must not end the campaign's chain of advances
        log.exception("campaign %s could not advance; trying again in %g s", campaign_id, POLL_S)
        advance_campaign.schedule((campaign_id,), delay=POLL_S)
        return "retrying"
    delay = next_delay(result, now)
    if delay is not None:
        advance_campaign.schedule((campaign_id,), delay=delay)
    log.info("campaign %s: %s, %d started, next advance in %s s", campaign_id,
             result["status"], result["started"], delay)
    return result["status"]
