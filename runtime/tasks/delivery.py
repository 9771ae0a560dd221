"""The `send` task: queue a message once per idempotency key, deliver it once, retry with back-off."""

from __future__ import annotations

import logging
import time
from typing import Any

from huey.api import Task
from huey.exceptions import CancelExecution
from huey.signals import SIGNAL_INTERRUPTED

from blocks.sdk import BlockError, ConfigurationError

from .app import RETRY_BACKOFF, TaskConfig, current, huey, producer, put
from .content import message_of
from .ledger import ledger_for
from .senders import CHANNELS, PermanentFailure, missing_setting, post_message, send_email

log = logging.getLogger(__name__)
MAX_KEY_LENGTH = 255


@producer("send")
def queue_send(payload: dict, key: str) -> None:
    """Record a message in the ledger and queue its delivery, unless its key is recorded already."""
    config = current()
    check_payload(payload, key)
    problem = missing_setting(config.settings, payload["channel"])
    if problem:
        raise ConfigurationError(problem)
    ledger = ledger_for(config.database_url)
    if not ledger.open(key, payload, time.time()):
        log.info("message %s is already recorded; not queued again", key)
        return
    try:
        put(delivery_task(config, key, payload))
    except BaseException:
        ledger.forget(key)  # nothing is queued: let the same step try again
        raise


def delivery_task(config: TaskConfig, key: str, payload: dict,
                  retries: int | None = None) -> Task:
    """Return the Huey task that delivers one message, with the workspace's retry policy."""
    return send_message.s(key, payload,
                          retries=config.retries if retries is None else retries,
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


@huey.task(context=True)
def send_message(key: str, payload: dict, task: Task | None = None) -> str:
    """Deliver a message unless the ledger shows it delivered, failed or being sent elsewhere."""
    config = current()
    ledger = ledger_for(config.database_url)
    attempt = ledger.claim(key, payload, config.lease_s, time.time())
    if attempt is None:
        log.info("message %s: delivered, failed or in hand elsewhere; skipped", key)
        return "skipped"
    try:
        where = deliver(config, key, payload)
    except PermanentFailure as exc:
        ledger.fail(key, attempt, str(exc), time.time())
        log.warning("message %s failed for good on attempt %d: %s", key, attempt, exc)
        raise CancelExecution(str(exc), retry=False) from exc
    except Exception as exc:  # anything else may pass: Huey retries it with back-off
        error = str(exc) or type(exc).__name__
        if task is not None and task.retries > 0:
            ledger.retry(key, attempt, error, time.time() + (task.retry_delay or 0), time.time())
            log.warning("message %s attempt %d failed, %d retries left: %s",
                        key, attempt, task.retries, error)
        else:
            ledger.fail(key, attempt, error, time.time())
            log.warning("message %s failed after %d attempts: %s", key, attempt, error)
        raise
    ledger.delivered(key, attempt, time.time())
    log.info("message %s delivered to %s on attempt %d", key, where, attempt)
    return "delivered"


@huey.signal(SIGNAL_INTERRUPTED)
def requeue_interrupted(signal: str, task: Any, *args: Any) -> None:
    """Put a send that a stopping worker interrupted back on the queue, due now."""
    if not isinstance(task, send_message.task_class):
        return
    key = task.args[0]
    row = ledger_for(current().database_url).get(key)
    if row is not None and row["state"] == "sending":
        ledger_for(current().database_url).release(key, "sending", row["attempts"],
                                                   "interrupted: the worker stopped", time.time())
    huey.enqueue(task)
    log.warning("message %s was interrupted by a stopping worker; queued again", key)
