"""Moments as the API shows them."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(at: float | None) -> str | None:
    """Return a Unix time as ISO 8601 in UTC to the second (`2025-03-01T09:30:00Z`), or None."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
