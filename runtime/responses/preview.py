"""What each channel makes of a response: the editor's preview, from the runtime's own renderers.

Voice speaks the text (or plays the prompt), chat shows the text with its quick-reply buttons,
SMS sends the text in the segments runtime.channels.segments counts (GSM-7 or UCS-2), e-mail
sends a subject, a text and the HTML beside it. Templates are shown as written: the variables
they read belong to a session.
"""

from __future__ import annotations

from typing import Any, Mapping

from runtime.channels import channel_named
from runtime.channels.segments import segment

from .library import choose

CHANNELS = ("voice", "chat", "sms", "email")


def preview(response: Mapping[str, Any], language: str) -> dict[str, dict]:
    """Return, by channel, what a response's variant for that channel and language renders to."""
    return {channel: _render(channel, response, language) for channel in CHANNELS}


def _render(channel: str, response: Mapping[str, Any], language: str) -> dict:
    # a text medium passes by a variant that only plays a recording, as delivery does
    content = choose(response, channel, language, needs_text=channel != "voice")
    if channel == "email":
        return {field: content[field] for field in ("subject", "text", "html") if field in content}
    event = channel_named(channel).render({"event": "say", **content})
    if channel == "voice":
        return {field: event[field] for field in ("speak", "play") if field in event}
    if channel == "chat":
        return {"text": event.get("text", ""), "quick_replies": list(event.get("quick_replies")
                                                                     or ())}
    text = event.get("sms", "")
    parts = segment(text)
    return {"text": text, "encoding": parts.encoding, "units": parts.units,
            "segments": event.get("segments", parts.count), "parts": list(parts.parts)}
