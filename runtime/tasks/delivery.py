"""The `send` task: queue a message once per idempotency key, deliver it once, retry with back-off."""

from __future__ import annotations

import logging
import time

from huey.api import Task

from blocks.sdk import BlockError, ConfigurationError
from runtime.messaging.numbers import NumberError, default_region, e164
from runtime.messaging.optouts import OptOuts
from runtime.channels.segments import MOST_SEGMENTS, segment

from .attempts import attempt, queue_all, queue_once, requeue_interrupted
from .config import RETRY_BACKOFF, TaskConfig
from .content import message_of, rendered_content
from .queue import TaskQueue
from .senders import (CHANNELS, PermanentFailure, RecipientOptedOut, Sent, missing_setting,
                      post_message, push_chat, send_email)

log = logging.getLogger(__name__)
MAX_KEY_LENGTH = 255
# a reply whose predecessor is being sent right now waits for it here this long, checking every
# ORDER_POLL_S; a predecessor waiting for a retry is waited for on the queue instead
ORDER_WAIT_S = 2.0
ORDER_POLL_S = 0.02


def register(queue: TaskQueue) -> None:
    """Put the `send` producer and its delivery task on a queue."""
    queue.task(send_message, context=True)
    queue.on_interrupted("send_message", requeue_interrupted)
    queue.producer("send", queue_send, queue_sends)


def queue_send(queue: TaskQueue, payload: dict, key: str) -> None:
    """Record a message in the ledger and queue its delivery, unless its key is recorded already."""
    payload = checked(queue, payload, key)
    queue_once(queue, "message", key, payload, delivery_task(queue, key, payload))


def queue_sends(queue: TaskQueue, jobs: list[tuple[dict, str]]) -> None:
    """Queue several messages (a turn's replies) in order, recorded in one ledger transaction."""
    ready = [(key, checked(queue, payload, key)) for payload, key in jobs]
    queue_all(queue, "message", [(key, payload, delivery_task(queue, key, payload))
                                 for key, payload in ready])


def checked(queue: TaskQueue, payload: dict, key: str) -> dict:
    """Return a payload ready to record; raise naming what makes it unsendable."""
    check_payload(payload, key)
    problem = missing_setting(queue.config.settings, payload["channel"])
    if problem:
        raise ConfigurationError(problem)
    if payload["channel"] == "sms":
        payload = sms_payload(queue.config.settings, payload)
    elif "content" in payload:
        rendered_text(payload)  # a template that fails is the block's error, not a lost message
    return payload


def sms_payload(settings: dict, payload: dict) -> dict:
    """Return an SMS payload with `to` in E.164; raise BlockError naming what cannot be sent."""
    try:
        to = e164(payload["to"], default_region(settings), "/to")
    except NumberError as exc:
        raise BlockError(f"send: {exc}") from None
    if "text" in payload:
        problem = sms_text_problem(settings, payload["text"])
        if problem:
            raise BlockError(f"send: /text {problem}")
    elif "content" in payload:
        problem = sms_text_problem(settings, rendered_text(payload))
        if problem:
            raise BlockError(f"send: response {payload['response']!r} for sms {problem}")
    return {**payload, "to": to}


def rendered_text(payload: dict) -> str:
    """Return the text of the response variant a payload carries, rendered as the worker will
    render it; raise BlockError naming the response when its template fails."""
    try:
        return rendered_content(payload, payload["content"]).get("text", "")
    except PermanentFailure as exc:
        raise BlockError(f"send: {exc}") from None


def sms_text_problem(settings: dict, text: str) -> str | None:
    """Return why a text cannot go as one SMS (empty, or too many segments), or None."""
    if not text.strip():
        return "is empty"
    most = int(settings.get("sms", {}).get("max_segments", MOST_SEGMENTS))
    count = segment(text).count
    if count > most:
        return (f"takes {count} SMS segments ({len(text)} characters), more than "
                f"[sms] max_segments ({most})")
    return None


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
    content = payload.get("content")
    if content is not None and not (isinstance(content, dict)
                                    and isinstance(content.get("text"), str)):
        raise BlockError("send: /content/text is not a text")


def deliver(config: TaskConfig, key: str, payload: dict, optouts: OptOuts | None = None) -> Sent:
    """Deliver one message on its channel; return where it went (an SMS: in how many segments)."""
    channel = payload["channel"]
    problem = missing_setting(config.settings, channel)
    if problem:
        raise PermanentFailure(problem)
    # nothing goes to a number that sent STOP, but the answer to one of its keywords (the
    # confirmation of that STOP, a HELP)
    if channel == "sms" and optouts is not None and not payload.get("keyword"):
        opted = optouts.opted_out("sms", payload["to"])
        if opted is not None:
            raise RecipientOptedOut(opted.reason())
    message = message_of(config.root, payload)
    if channel == "email":
        return Sent(send_email(config.settings, key, message))
    if channel == "chat":
        return Sent(push_chat(config.root, config.redis_url, config.sessions_url, key, message))
    settings = config.settings
    segments = None
    if channel == "sms":
        problem = sms_text_problem(settings, message["text"])
        if problem:
            raise PermanentFailure(f"sms to {message['to']}: the text {problem}")
        segments = segment(message["text"]).count
    sender = settings.get("sms", {}).get("from") if channel == "sms" else None
    message["from"] = sender or message.get("from")
    post_message(settings, key, message)
    url = settings["sms"]["gateway"] if channel == "sms" else settings["webhooks"]["url"]
    return Sent(url, segments)


def send_message(queue: TaskQueue, key: str, payload: dict, task: Task | None = None) -> str:
    """Deliver a message unless the ledger shows it delivered, failed, opted out or in hand.

    A reply of a conversation goes out only after every earlier reply of it is settled
    (delivered, failed for good or opted out), so the customer reads them in order.
    """
    optouts = OptOuts(queue.records.engine)
    ready = (lambda: earlier_settled(queue, key, payload)) \
        if payload.get("conversation") and task is not None else None
    return attempt(queue, "message", key, payload, task,
                   lambda config: deliver(config, key, payload, optouts), ready)


def earlier_settled(queue: TaskQueue, key: str, payload: dict) -> float | None:
    """Return None once the earlier replies of the message's conversation are settled, else
    the seconds after which to look again.

    A predecessor being sent now is waited for here, briefly; one waiting for a retry or for a
    worker is looked at again when it is due.
    """
    ledger = queue.ledger
    deadline = time.monotonic() + ORDER_WAIT_S
    while True:
        earlier = ledger.earlier_unsettled(payload["conversation"], payload.get("place") or [])
        if not earlier:
            return None
        if any(row["state"] == "sending" for row in earlier) and time.monotonic() < deadline:
            time.sleep(ORDER_POLL_S)
            continue
        due = max(row["due_at"] for row in earlier)
        delay = min(max(due - time.time(), 0.0) + 0.25, queue.config.lease_s)
        log.info("message %s waits %.2f s for %s, sent before it", key, delay, earlier[0]["key"])
        return delay
