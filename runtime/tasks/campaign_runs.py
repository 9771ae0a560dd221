"""The `campaign` task: advance a campaign, then come back soon, or when its window opens.

The campaign rows and the claim in `runtime.campaigns.advance` make a task that runs twice, or
beside another worker, harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from runtime import campaigns

from .queue import TaskQueue

log = logging.getLogger(__name__)
POLL_S = 15.0  # inside the window: how soon to look again for ended sessions and free places


def register(queue: TaskQueue) -> None:
    """Put the `campaign` producer and its task on a queue."""
    queue.task(advance_campaign)
    queue.producer("campaign", queue_campaign)


def queue_campaign(queue: TaskQueue, payload: dict, key: str) -> None:
    """Queue the first advance of a campaign `{campaign}`."""
    queue.put(queue.tasks["advance_campaign"].s(payload["campaign"]))


def next_delay(result: dict, now: datetime) -> float | None:
    """Return the seconds until the next advance, or None when the campaign is over."""
    if result["status"] != "running":
        return None
    if result["inside"]:
        return POLL_S
    return max(1.0, (result["next_at"] - now).total_seconds())


def advance_campaign(queue: TaskQueue, campaign_id: str) -> str:
    """Advance a campaign once and schedule the next advance while it runs."""
    again = queue.tasks["advance_campaign"]
    now = datetime.now(timezone.utc)
    try:
        result = campaigns.advance(queue.runtime, campaign_id, now)
    except campaigns.CampaignNotFound:
        log.warning("campaign %s does not exist (any more); not advanced again", campaign_id)
        return "missing"
    except Exception:  # a database hiccup must not end the campaign's chain of advances
        log.exception("campaign %s could not advance; trying again in %g s", campaign_id, POLL_S)
        again.schedule((campaign_id,), delay=POLL_S)
        return "retrying"
    delay = next_delay(result, now)
    if delay is not None:
        again.schedule((campaign_id,), delay=delay)
    log.info("campaign %s: %s, %d started, next advance in %s s", campaign_id,
             result["status"], result["started"], delay)
    return result["status"]
