"""The generic webhook channel, through which messengers connect: plain text, as SMS renders it."""

from __future__ import annotations

from .sms import SmsChannel


class WebhookChannel(SmsChannel):
    """Renders messages as plain text with "Reply 1 for ..." lines, in a `message` field."""

    name = "webhook"
    text_field = "message"
    counts_segments = False
