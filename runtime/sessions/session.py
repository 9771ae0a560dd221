"""The session: the small state record of one conversation, saved whenever it waits."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from runtime.jsontext import dump_text


@dataclass(slots=True)
class Frame:
    """A caller's place while a subflow runs: where to come back to and the caller's variables."""

    flow_id: str
    flow_version: str
    block: str
    state: dict
    vars: dict


@dataclass(slots=True)
class Session:
    """Where a conversation stands: flow, block, variables, counters, channel and contact."""

    id: str
    flow_id: str
    flow_version: str
    channel: str
    block: str
    vars: dict
    contact: dict
    trigger: dict
    state: dict = field(default_factory=dict)
    status: str = "running"  # running, waiting, ended
    disposition: str | None = None
    steps: int = 0
    turns: int = 0
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    frames: list[Frame] = field(default_factory=list)
    callback: str | None = None  # a status callback URL: told whenever the session waits or ends
    rev: int = 0  # bumped by every save; a store refuses a save from a stale copy

    @staticmethod
    def new_id() -> str:
        """Return a fresh, unguessable session id that sorts by creation time (a UUIDv7).

        The first 48 bits are the time in milliseconds and 74 of the rest are random. Stores
        keyed by id then add each new session at the end of their index instead of at a random
        place in it: with random ids a SQLite save touched pages all over a file that outgrows
        its cache, and slowed down as the store grew (benchmarks/sessions.py).
        """
        return uuid.UUID(int=(time.time_ns() // 1_000_000) << 80 | _V7_BITS
                         | secrets.randbits(80) & _V7_RANDOM).hex

    @staticmethod
    def id_after(when: float) -> str:
        """Return an id above every id `new_id` made before `when` (unix seconds).

        Ids compare as text in the order of their time: a store finds the sessions made before
        a moment by one range of its id index.
        """
        millis = int(min(max(when, 0.0), _LAST_ID_TIME) * 1000) + 1  # inf: above every id
        return f"{millis:012x}" + "0" * 20

    def dumps(self) -> str:
        """Return the session as compact JSON."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["frames"] = [asdict(frame) for frame in self.frames]
        return dump_text(data)

    @classmethod
    def loads(cls, text: str | bytes) -> Session:
        """Rebuild a session from `dumps` output."""
        data: dict[str, Any] = json.loads(text)
        data["frames"] = [Frame(**f) for f in data.get("frames", ())]
        return cls(**data)


# RFC 9562: version 7 in bits 76-79, variant 0b10 in bits 62-63; the other 74 low bits random
_V7_BITS = 0x7 << 76 | 0b10 << 62
_V7_RANDOM = (1 << 80) - 1 ^ (0xF << 76 | 0b11 << 62)
_LAST_ID_TIME = ((1 << 48) - 2) / 1000  # the last moment 48 bits of milliseconds can hold
_FIELDS = tuple(f.name for f in fields(Session) if f.name != "frames")
