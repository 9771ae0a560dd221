"""The `callback` task: POST an execution's status to its caller's URL, signed, once per key.

A status callback is a row of the delivery ledger like any message (its channel is `callback`),
claimed before every attempt, so a task that Huey runs twice posts once; failures are retried
with the workspace's back-off, and a 4xx other than 408/425/429 fails at once.
"""

from __future__ import annotations

import logging

from huey.api import Task

from blocks.sdk import BlockError, ConfigurationError
from runtime.messaging import url_problem

from .attempts import attempt, queue_once, requeue_interrupted
from .config import RETRY_BACKOFF, TaskConfig
from .queue import TaskQueue
from .senders import PermanentFailure, Sent, post_signed

log = logging.getLogger(__name__)
CHANNEL = "callback"  # the ledger's channel of status callbacks
MAX_KEY_LENGTH = 255


def register(queue: TaskQueue) -> None:
    """Put the `callback` producer and its task on a queue."""
    queue.task(post_callback, context=True)
    queue.on_interrupted("post_callback", requeue_interrupted)
    queue.producer("callback", queue_callback)


def queue_callback(queue: TaskQueue, payload: dict, key: str) -> None:
    """Record a status callback `{url, body}` in the ledger and queue it, unless already recorded."""
    check_callback(payload, key)
    if not queue.config.settings.get("webhooks", {}).get("secret"):
        raise ConfigurationError("status callbacks are signed: they need [webhooks] secret in "
                                 "callwright.toml (or CALLWRIGHT_WEBHOOKS_SECRET)")
    row = {"channel": CHANNEL, "url": payload["url"], "body": payload["body"]}
    queue_once(queue, "callback", key, row, callback_task(queue, key, row))


def check_callback(payload: dict, key: str) -> None:
    """Raise BlockError naming the field when a callback payload cannot be posted."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise BlockError(f"callback: the idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    problem = url_problem(payload.get("url"))
    if problem:
        raise BlockError(f"callback: /url {problem}")
    if not isinstance(payload.get("body"), dict):
        raise BlockError("callback: /body must be a JSON object")


def callback_task(queue: TaskQueue, key: str, payload: dict, retries: int | None = None) -> Task:
    """Return the Huey task that posts one status callback, with the workspace's retry policy."""
    config = queue.config
    return queue.tasks["post_callback"].s(
        key, payload, retries=config.retries if retries is None else retries,
        retry_delay=config.retry_delay_s, retry_backoff=RETRY_BACKOFF)


def post_callback(queue: TaskQueue, key: str, payload: dict, task: Task | None = None) -> str:
    """Post a status callback unless the ledger shows it posted, failed or in hand elsewhere."""
    return attempt(queue, "callback", key, payload, task,
                   lambda config: _post(config, key, payload))


def _post(config: TaskConfig, key: str, payload: dict) -> Sent:
    """Post one signed status callback; return where it went."""
    if not config.settings.get("webhooks", {}).get("secret"):
        raise PermanentFailure("status callbacks need [webhooks] secret to be signed")
    post_signed(config.settings, payload["url"], key, payload["body"], "status callback")
    return Sent(payload["url"])
