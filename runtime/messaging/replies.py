"""Messaging around a turn: where replies and status callbacks go, and what they need first."""

from __future__ import annotations

import time
from typing import Any, Iterator
from urllib.parse import urlsplit

from blocks.sdk import ConfigurationError

from runtime.channels import channel_named
from runtime.sessions.session import Session

MESSAGE_CHANNELS = ("sms", "webhook")  # channels whose replies go out through the `send` task
MAX_URL_LENGTH = 2048


def root_flow(session: Session) -> str:
    """Return the flow a session was started on (the bottom frame's, inside a subflow)."""
    return session.frames[0].flow_id if session.frames else session.flow_id


def our_address(settings: dict, routes: dict, channel: str, flow_id: str) -> str | None:
    """Return the address we write from: [sms] from, else the route's own key for the flow."""
    if channel == "sms" and settings.get("sms", {}).get("from"):
        return settings["sms"]["from"]
    table = routes.get(channel) or {}
    return next((key for key, routed in table.items() if routed == flow_id and key != "*"), None)


def require(settings: dict, channel: str, callback: str | None = None) -> None:
    """Raise ConfigurationError naming what a channel's replies or a status callback would need."""
    if channel in MESSAGE_CHANNELS:
        for section, key in (("sms", "gateway") if channel == "sms" else ("webhooks", "url"),
                             ("webhooks", "secret")):
            if not settings.get(section, {}).get(key):
                raise ConfigurationError(f"replies on {channel} need [{section}] {key} in "
                                    f"callwright.toml (or CALLWRIGHT_{section.upper()}_{key.upper()})")
    if callback and not settings.get("webhooks", {}).get("secret"):
        raise ConfigurationError("status callbacks are signed: they need [webhooks] secret in "
                            "callwright.toml (or CALLWRIGHT_WEBHOOKS_SECRET)")


def reply_messages(session: Session, replies: list[dict], to: str,
                   ours: str | None) -> Iterator[tuple[dict, str]]:
    """Yield a `send` payload and its idempotency key for each reply a contact can read."""
    index = 0
    for event in replies:
        payload = _content(event, session.channel)
        if payload is None:
            continue
        index += 1
        # a reply goes out after the replies before it (runtime.tasks.delivery): its
        # conversation and its place there, turn by turn
        payload.update(channel=session.channel, to=to, conversation=session.id,
                       place=[session.turns, index])
        if ours:
            payload["from"] = ours
        # session, turn and place in the turn: a turn replayed after a crash sends nothing twice
        yield payload, f"{session.id}.{session.turns}.reply.{index}"


def _content(event: dict, channel: str) -> dict | None:
    """Return what a reply says (its text), or None.

    A named response was chosen and rendered from the live library when it was said; one that
    has no text for this channel says nothing here, as a recording says nothing.
    """
    if event["event"] not in ("say", "ask"):
        return None
    text = event.get(channel_named(channel).text_field) or event.get("text")
    return {"text": text} if text else None


def status_callback(session: Session) -> tuple[dict, str] | None:
    """Return the `callback` payload and key telling a session's caller how it stands, if asked."""
    if not session.callback:
        return None
    body = {"execution": session.id, "flow": root_flow(session), "status": session.status,
            "disposition": session.disposition, "at": time.time()}
    return {"url": session.callback, "body": body}, f"{session.id}.{session.turns}.callback"


def url_problem(url: Any) -> str | None:
    """Return what makes a value unusable as a callback URL, or None for an absolute http(s) URL."""
    if not isinstance(url, str):
        return "must be a string"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"{url!r} is not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        return f"{url!r} must be an absolute http:// or https:// URL"
    return None
