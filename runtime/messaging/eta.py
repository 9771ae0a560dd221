"""`{{ eta }}`: when a person will answer, from the channel's service level and the opening hours.

The service level (`[service_levels] email = "4h"`) counts open time of the `[hours]` calendar,
the one the `hours` block reads (its `Schedule` does the arithmetic), so an acknowledgement sent
on Saturday promises Monday morning, not "within 4 hours".
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from blocks.builtin.hours import Schedule, load_zone, parse_date

_LEVEL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h)\s*$")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def service_minutes(text: str) -> float:
    """Return the minutes of a service level such as `4h`, `30m`; raise ValueError otherwise."""
    match = _LEVEL.match(text if isinstance(text, str) else "")
    if match is None:
        raise ValueError(f"{text!r} is not a service level such as 4h or 30m")
    return float(match[1]) * (60 if match[2] == "h" else 1)


class AnswerTime:
    """The expected answer time per channel, from `[service_levels]` and `[hours]` settings."""

    def __init__(self, settings: dict) -> None:
        self.levels = {channel: service_minutes(text)
                       for channel, text in (settings.get("service_levels") or {}).items()}
        hours = settings.get("hours") or {}
        self.zone = load_zone(hours["timezone"]) if hours.get("timezone") else timezone.utc
        # no calendar: people answer around the clock
        self.schedule = Schedule(hours["weekly"]) if hours.get("weekly") else \
            Schedule({day: [["00:00", "24:00"]] for day in
                      ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
        self.holidays = frozenset(parse_date(d) for d in hours.get("holidays") or ())

    def due(self, channel: str, now: datetime) -> datetime | None:
        """Return when an answer on a channel is due (in the calendar's zone), or None."""
        minutes = self.levels.get(channel)
        if minutes is None:
            return None
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return self.schedule.after_open_time(now.astimezone(self.zone), minutes, self.holidays)

    def eta(self, channel: str, now: datetime) -> str | None:
        """Return the answer time as a customer reads it (`Monday at 11:00`), or None."""
        due = self.due(channel, now)
        return None if due is None else spoken(due, now.astimezone(due.tzinfo))


def spoken(due: datetime, now: datetime) -> str:
    """Return a due time relative to now: `today at 15:00`, `tomorrow at 09:30`, `Monday at ...`."""
    days = (due.date() - now.date()).days
    clock = due.strftime("%H:%M")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"{_DAYS[due.weekday()]} at {clock}"
    return f"{_DAYS[due.weekday()]} {due.day} {due.strftime('%B')} at {clock}"
