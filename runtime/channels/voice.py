"""Voice: prompts spoken by text-to-speech or played from recordings; DTMF or speech back."""

from __future__ import annotations

from blocks.sdk import Input

from .base import Channel

DTMF_KEYS = frozenset("0123456789*#")


class VoiceChannel(Channel):
    """Renders what the caller hears; digits, `*` and `#` come back as DTMF."""

    name = "voice"

    def render(self, event: dict) -> dict:
        kind = event["event"]
        if kind == "say":
            # a recording made for the phone wins over text-to-speech of the same words
            if "audio" in event:
                event["play"] = event["audio"]
            elif "text" in event:
                event["speak"] = event["text"]
        elif kind == "ask":
            lines = [event["prompt"]] if event.get("prompt") else []
            event["speak"] = " ".join(lines)
            event["dtmf"] = True
        elif kind == "record":
            event["speak"] = event.get("prompt") or ""
        return event

    def parse_input(self, text: str) -> Input:
        if text and all(ch in DTMF_KEYS for ch in text):
            return Input(text, "dtmf")
        # anything else arrives already recognised by the speech recogniser
        return Input(text, "speech", 1.0)

