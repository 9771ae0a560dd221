"""Holding times: how long an emulated caller stays on the line, drawn from a distribution.

`--holding` (and a caller script's `holding`) is one of::

    exp:MEAN          exponential, MEAN seconds on average (Erlang B's assumption)
    fixed:SECONDS     every call the same (deterministic)
    uniform:LOW:HIGH  evenly spread between LOW and HIGH seconds

The caller hangs up that long after the call was offered, wherever the flow stands; a flow
that ends sooner ends the call sooner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SYNTAX = "exp:MEAN, fixed:SECONDS or uniform:LOW:HIGH, in seconds"
_ARITY = {"exp": 1, "fixed": 1, "uniform": 2}


class InvalidHolding(ValueError):
    """A holding time that does not parse: the message says what was given and what is meant."""


@dataclass(frozen=True, slots=True)
class Holding:
    """A holding-time distribution: `kind` (exp, fixed, uniform) and its seconds."""

    kind: str
    seconds: tuple[float, ...]

    def __str__(self) -> str:
        return ":".join([self.kind, *(f"{s:g}" for s in self.seconds)])

    @property
    def mean(self) -> float:
        """Return the mean holding time in seconds."""
        return sum(self.seconds) / len(self.seconds)

    def draw(self, rng: random.Random) -> float:
        """Return one holding time in seconds."""
        if self.kind == "exp":
            return rng.expovariate(1.0 / self.seconds[0])
        if self.kind == "uniform":
            return rng.uniform(*self.seconds)
        return self.seconds[0]


def parse_holding(text: str) -> Holding:
    """Return the distribution `text` names; raise InvalidHolding saying what is wrong."""
    kind, _, rest = str(text).strip().partition(":")
    kind = {"exponential": "exp", "deterministic": "fixed"}.get(kind, kind)
    if kind not in _ARITY:
        raise InvalidHolding(f"{text!r} is not a holding time: use {SYNTAX}")
    try:
        seconds = tuple(float(part) for part in rest.split(":"))
    except ValueError:
        raise InvalidHolding(f"{text!r}: the seconds must be numbers ({SYNTAX})") from None
    if len(seconds) != _ARITY[kind]:
        raise InvalidHolding(f"{text!r}: {kind} takes {_ARITY[kind]} number"
                             f"{'s' if _ARITY[kind] > 1 else ''} of seconds ({SYNTAX})")
    if not all(0 <= s < float("inf") for s in seconds) or (kind == "exp" and not seconds[0] > 0):
        raise InvalidHolding(f"{text!r}: the seconds must be finite and at least 0 "
                             f"(an exponential's mean above 0)")
    if kind == "uniform" and seconds[0] > seconds[1]:
        raise InvalidHolding(f"{text!r}: uniform's LOW is above its HIGH")
    return Holding(kind, seconds)
