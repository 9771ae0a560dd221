"""SMS: plain text, with a "Reply 1 for ..." line per choice, and the segments it takes."""

from __future__ import annotations

from .base import Channel, choice_lines
from .segments import segment


class SmsChannel(Channel):
    """Renders every message as the text an SMS would carry, and how many segments it takes."""

    name = "sms"
    text_field = "sms"
    counts_segments = True  # the SMS parts a text takes are what a message costs

    def render(self, event: dict) -> dict:
        kind = event["event"]
        if kind == "say" and "text" in event:
            event[self.text_field] = event["text"]
        elif kind == "ask":
            lines = [event["prompt"]] if event.get("prompt") else []
            lines += choice_lines(event.get("choices") or [], "Reply {key} for {label}")
            event[self.text_field] = "\n".join(lines)
        if self.counts_segments and self.text_field in event:
            event["segments"] = segment(event[self.text_field]).count
        return event
