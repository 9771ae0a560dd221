"""The ports' clock: real time at speed 1, accelerated K times at speed K (the emulator's)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


class Clock:
    """Seconds since the clock started, passing `speed` times faster than real time.

    At speed K, `sleep(s)` waits s/K real seconds and `now()` advances K seconds per real
    second, so a 60 s scenario runs in 60/K s while every duration it reports stays in the
    scenario's own (virtual) seconds. Timers run on the running asyncio loop.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be above 0, not {speed!r}")
        self.speed = float(speed)
        self._origin = time.monotonic()

    def now(self) -> float:
        """Return the (virtual) seconds since the clock started."""
        return (time.monotonic() - self._origin) * self.speed

    def real(self, seconds: float) -> float:
        """Return how many real seconds `seconds` of this clock last."""
        return max(0.0, seconds) / self.speed

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock."""
        await asyncio.sleep(self.real(seconds))

    async def sleep_until(self, moment: float) -> None:
        """Wait until `now()` reaches `moment` (at once when it has)."""
        await asyncio.sleep(self.real(moment - self.now()))

    def call_later(self, seconds: float, callback: Callable[..., Any],
                   *args: Any) -> asyncio.TimerHandle:
        """Call `callback(*args)` on the running loop after `seconds` of this clock."""
        return asyncio.get_running_loop().call_later(self.real(seconds), callback, *args)


REAL_TIME = Clock()  # speed 1: what real lines (SIP, a PBX) run on
