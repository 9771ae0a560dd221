"""The `send` task: queue a message once per idempotency key, deliver it once, retry with back-off."""

from __future__ import annotations

import logging

from huey.api import Task

from blocks.sdk import BlockError, ConfigurationError

from .attempts import attempt, queue_once, requeue_interrupted
from .config import RETRY_BACKOFF, TaskConfig
from .content import message_of
from .queue import TaskQueue
from .senders import CHANNELS, PermanentFailure, missing_setting, post_message, send_email

log = logging.getLogger(__name__)
MAX_KEY_LENGTH = 255


def register(queue: TaskQueue) -> None:
    """Put the `send` producer and its delivery task on a queue."""
    queue.task(send_message, context=True)
    queue.on_interrupted("send_message", requeue_interrupted)
    queue.producer("send", queue_send)


def queue_send(queue: TaskQueue, payload: dict, key: str) -> None:
    """Record a message in the ledger and queue its delivery, unless its key is recorded already."""
    check_payload(payload, key)
    problem = missing_setting(queue.config.settings, payload["channel"])
    if problem:
        raise ConfigurationError(problem)
    queue_once(queue, "message", key, payload, delivery_task(queue, key, payload))


def delivery_task(queue: TaskQueue, key: str, payload: dict, retries: int | None = None) -> Task:
    """Return the Huey task that delivers one message, with the workspace's retry policy."""
    config = queue.config
    return queue.tasks["send_message"].s(
        key, payload, retries=config.retries if retries is None else retries,
        retry_delay=config.retry_delay_s, retry_backoff=RETRY_BACKOFF)


def check_payload(payload: dict, key: str) -> None:
    """Raise BlockError naming the field when a send payload cannot be delivered."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise BlockError(f"send: the idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    channel = payload.get("channel")
    if channel not in CHANNELS:
        raise BlockError(f"send: /channel {channel!r} is not one of {', '.join(CHANNELS)}")
    to = payload.get("to")
    if not isinstance(to, str) or not to.strip():
        raise BlockError("send: /to is empty")
    if channel == "email" and "@" not in to:
        raise BlockError(f"send: /to {to!r} is not an e-mail address")
    has_text = isinstance(payload.get("text"), str)
    if has_text == isinstance(payload.get("response"), str):
        raise BlockError("send: give exactly one of /text and /response")


def deliver(config: TaskConfig, key: str, payload: dict) -> str:
    """Deliver one message on its channel; return where it went."""
    channel = payload["channel"]
    problem = missing_setting(config.settings, channel)
    if problem:
        raise PermanentFailure(problem)
    message = message_of(config.root, payload)
    if channel == "email":
        return send_email(config.settings, key, message)
    settings = config.settings
    sender = settings.get("sms", {}).get("from") if channel == "sms" else None
    message["from"] = sender or message.get("from")
    post_message(settings, key, message)
    return settings["sms"]["gateway"] if channel == "sms" else settings["webhooks"]["url"]


def send_message(queue: TaskQueue, key: str, payload: dict, task: Task | None = None) -> str:
    """Deliver a message unless the ledger shows it delivered, failed or being sent elsewhere."""
    return attempt(queue, "message", key, payload, task,
                   lambda config: deliver(config, key, payload))
