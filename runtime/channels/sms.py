"""SMS: plain text, with a "Reply 1 for ..." line per choice."""

from __future__ import annotations

from .base import Channel, choice_lines


class SmsChannel(Channel):
    """Renders every message as the text an SMS would carry."""

    name = "sms"
    text_field = "sms"

    def render(self, event: dict) -> dict:
        kind = event["event"]
        if kind == "say" and "text" in event:
            event[self.text_field] = event["text"]
        elif kind == "ask":
            lines = [event["prompt"]] if event.get("prompt") else []
            lines += choice_lines(event.get("choices") or [], "Reply {key} for {label}")
            event[self.text_field] = "\n".join(lines)
        return event
