"""A campaign's time window: the local hours and weekdays in which contacts may be started."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
WINDOW_FIELDS = ("timezone", "start", "end", "days")


def window_problems(window: Any, at: str = "/window") -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a window."""
    if not isinstance(window, dict):
        return [(at, "must be an object {timezone, start, end, days}")]
    problems = [(f"{at}/{key}", f"is not a field of a window (expected "
                                f"{', '.join(WINDOW_FIELDS)})") for key in window
                if key not in WINDOW_FIELDS]
    problems += [(f"{at}/{key}", "is required") for key in WINDOW_FIELDS[:3] if key not in window]
    zone = window.get("timezone")
    if "timezone" in window and not _zone_exists(zone):
        shown = zone if not isinstance(zone, str) or len(zone) <= 40 else zone[:40] + "..."
        problems.append((f"{at}/timezone", f"must be an IANA time zone like Europe/Berlin, "
                                           f"not {shown!r}"))
    for key in ("start", "end"):
        if key in window and not (isinstance(window[key], str) and HHMM.match(window[key])):
            problems.append((f"{at}/{key}", f"must be a time HH:MM, not {window[key]!r}"))
    if window.get("start") is not None and window.get("start") == window.get("end"):
        problems.append((f"{at}/end", "must differ from start"))
    days = window.get("days", list(DAYS))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        problems.append((f"{at}/days", f"must be a non-empty list of {', '.join(DAYS)}"))
    return problems


def _zone_exists(name: Any) -> bool:
    """Return whether a value names a time zone zoneinfo knows."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: zoneinfo opens the file a name names, and "America" is a folder, 300
        # letters too long a file name
        return False
    return True


def _minutes(hhmm: str) -> int:
    """Return the minutes since midnight of HH:MM."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def inside(window: dict | None, now: datetime) -> bool:
    """Return whether an aware moment lies inside a window (no window: always).

    A window whose end is before its start runs over midnight; it belongs to the day it opens.
    """
    if window is None:
        return True
    local = now.astimezone(ZoneInfo(window["timezone"]))
    days = window.get("days") or DAYS
    start, end = _minutes(window["start"]), _minutes(window["end"])
    minute = local.hour * 60 + local.minute
    if start < end:
        return start <= minute < end and DAYS[local.weekday()] in days
    if minute >= start:
        return DAYS[local.weekday()] in days
    return minute < end and DAYS[(local.weekday() - 1) % 7] in days


def next_opening(window: dict, now: datetime) -> datetime:
    """Return the next moment after `now` at which a window opens (aware, in its zone)."""
    zone = ZoneInfo(window["timezone"])
    local = now.astimezone(zone)
    days = window.get("days") or DAYS
    hour, minute = divmod(_minutes(window["start"]), 60)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        opening = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        if opening > local and DAYS[day.weekday()] in days:
            return opening
    raise AssertionError("a window with days opens within a week")  # window_problems ensures it
