"""How late the emulator handles its events: a bounded histogram of real milliseconds."""

from __future__ import annotations

from collections import Counter


class LatencyHistogram:
    """Counts latencies per 0.1 ms below 100 ms and per 1 ms above: memory stays bounded."""

    def __init__(self) -> None:
        self._counts: Counter[float] = Counter()
        self.events = 0
        self.max_ms = 0.0

    def add(self, seconds: float) -> None:
        """Count one event handled `seconds` (real) after it was due."""
        ms = max(0.0, seconds * 1000.0)
        self._counts[round(ms, 1) if ms < 100 else float(round(ms))] += 1
        self.events += 1
        if ms > self.max_ms:
            self.max_ms = ms

    def quantile(self, q: float) -> float | None:
        """Return the latency (ms) that a share `q` of the events did not exceed (None: none)."""
        if not self.events:
            return None
        rank = q * self.events
        seen = 0
        for ms in sorted(self._counts):
            seen += self._counts[ms]
            if seen >= rank:
                return ms
        return self.max_ms

    def summary(self) -> dict:
        """Return the median, 99th percentile and maximum in ms, and how many events."""
        return {"p50": self.quantile(0.5), "p99": self.quantile(0.99),
                "max": round(self.max_ms, 1) if self.events else None, "events": self.events}
