"""DTMF from the caller: RFC 4733 (2833) telephone-events in RTP, and SIP INFO bodies.

A key press is sent as a run of packets with one RTP timestamp (the event's start): updates
while the key is down, then the end packet three times. Any of them may be lost, duplicated or
reordered, so a key counts once per event timestamp, from whichever of its packets arrives
first: a lost first packet still gives the key, redundant end packets give nothing more.
Event codes above 15 (tones, flash) are not keys and are ignored, as are short payloads.
"""

from __future__ import annotations

import re

KEYS = "0123456789*#ABCD"  # event codes 0-15 (RFC 4733 section 3.2)
EVENT_BYTES = 4  # event, E/R/volume, duration
INFO_SIGNAL = re.compile(r"^\s*Signal\s*=\s*([0-9*#A-Da-d])\s*$", re.MULTILINE)


class TelephoneEvents:
    """Turns one call's telephone-event packets into keys, each key once."""

    def __init__(self) -> None:
        # the stream and timestamp of the last event that gave a key: a sender may start a new
        # stream (SSRC) for the next key, its timestamp starting where the last one's did
        self._last: tuple[int, int] | None = None

    def key(self, timestamp: int, payload: bytes, ssrc: int = 0) -> str | None:
        """Return the key a packet starts, or None (not a key, or a key already given)."""
        if len(payload) < EVENT_BYTES:
            return None
        event = payload[0]
        if event >= len(KEYS) or (ssrc, timestamp) == self._last:
            return None
        self._last = (ssrc, timestamp)
        return KEYS[event]


def info_key(content_type: str | None, body: str) -> str | None:
    """Return the key of a SIP INFO request (`application/dtmf-relay` or `application/dtmf`)."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "application/dtmf-relay":
        found = INFO_SIGNAL.search(body)
        return found.group(1).upper() if found else None
    if kind == "application/dtmf":
        text = body.strip().upper()
        if len(text) == 1 and text in KEYS:
            return text
        if text.isdigit() and int(text) < len(KEYS):
            return KEYS[int(text)]
    return None
