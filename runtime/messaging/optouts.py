"""Opt-outs: who sent STOP on a channel, kept in the records database until they send START.

One row per channel and address (E.164 on sms), holding whether it is opted out, the keyword
it sent last and when. An address without a row never opted out. `send`, the replies of a turn
and campaigns ask `opted_out` before sending, and record the skip, never silently.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from runtime.errors import EngineError
from runtime.records.schema import opt_outs


class OptedOut(EngineError):
    """A conversation was to start with an address that opted out of the channel."""

    code = "opted_out"


@dataclass(frozen=True)
class OptOut:
    """An address that opted out: the keyword it sent and when."""

    channel: str
    address: str
    keyword: str
    at: float

    def reason(self) -> str:
        """Return why nothing is sent to this address, for the delivery record and logs."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at))
        return (f"opted out: {self.address} sent {self.keyword} on {self.channel} at {stamp}; "
                f"nothing is sent to it until it sends START")


class OptOuts:
    """The opt-outs of every channel, in the records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def opt_out(self, channel: str, address: str, keyword: str, now: float | None = None) -> None:
        """Record that an address sent an opt-out keyword."""
        self._set(channel, address, True, keyword, now)

    def opt_in(self, channel: str, address: str, keyword: str, now: float | None = None) -> None:
        """Record that an address sent an opt-in keyword (START): it may be sent to again."""
        self._set(channel, address, False, keyword, now)

    def opted_out(self, channel: str, address: str) -> OptOut | None:
        """Return the opt-out of an address on a channel, or None when it may be sent to."""
        c = opt_outs.c
        with self.engine.connect() as conn:
            row = conn.execute(select(opt_outs).where(and_(
                c.channel == channel, c.address == address, c.opted_out.is_(True)))
            ).mappings().first()
        if row is None:
            return None
        return OptOut(channel, address, row["keyword"], row["changed_at"])

    def _set(self, channel: str, address: str, out: bool, keyword: str,
             now: float | None) -> None:
        """Write an address's state: update its row, or insert the first one."""
        values = {"opted_out": out, "keyword": keyword[:32],
                  "changed_at": time.time() if now is None else now}
        c = opt_outs.c
        where = and_(c.channel == channel, c.address == address)
        with self.engine.begin() as conn:
            if conn.execute(update(opt_outs).where(where).values(values)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(opt_outs).values(channel=channel, address=address, **values))
        except IntegrityError:  # another process inserted it in between: rows are never deleted
            with self.engine.begin() as conn:
                conn.execute(update(opt_outs).where(where).values(values))


__all__ = ["OptOut", "OptOuts", "OptedOut"]
