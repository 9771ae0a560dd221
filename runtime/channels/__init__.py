"""The channels a flow can run on; each renders the same actions for its medium."""

from __future__ import annotations

from .base import Channel
from .chat import ChatChannel
from .email import EmailChannel
from .sms import SmsChannel
from .voice import VoiceChannel
from .webhook import WebhookChannel

CHANNELS: dict[str, type[Channel]] = {c.name: c for c in (ChatChannel, EmailChannel, SmsChannel,
                                                           VoiceChannel, WebhookChannel)}


def channel_named(name: str) -> Channel:
    """Return the channel of that name; raise ValueError naming the known ones."""
    try:
        return CHANNELS[name]()
    except KeyError:
        raise ValueError(f"unknown channel {name!r}: use one of {', '.join(sorted(CHANNELS))}") from None


__all__ = ["CHANNELS", "Channel", "ChatChannel", "EmailChannel", "SmsChannel", "VoiceChannel", "WebhookChannel",
           "channel_named"]
