"""Web chat: text with quick-reply buttons."""

from __future__ import annotations

from .base import Channel


class ChatChannel(Channel):
    """Renders asks with choices as quick-reply buttons."""

    name = "chat"

    def render(self, event: dict) -> dict:
        if event["event"] == "ask" and event.get("choices"):
            event["quick_replies"] = [c.get("label") or c.get("key") for c in event["choices"]]
        return event
