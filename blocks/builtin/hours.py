"""The `hours` block: open, closed or holiday, by a weekly calendar in the business's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from blocks.sdk import Block, BlockError, Context, read_manifest
from blocks.sdk.templates import is_template

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
_TIME = re.compile(r"(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_END = 24 * 60

Interval = tuple[int, int]  # minutes since local midnight, end excluded


def parse_time(text: Any) -> int:
    """Return minutes since midnight of `HH:MM` (00:00 to 24:00); raise ValueError otherwise."""
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return hours * 60 + minutes


def parse_date(text: Any) -> date:
    """Return the date of an ISO `YYYY-MM-DD`; raise ValueError otherwise."""
    if not (isinstance(text, str) and _DATE.fullmatch(text)):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date on the calendar") from None


def parse_range(pair: Any) -> Interval:
    """Return (start, end) minutes of `["09:00", "18:00"]`; an end before the start is overnight."""
    if not (isinstance(pair, list) and len(pair) == 2):
        raise ValueError("a range is a pair of times [start, end]")
    start, end = parse_time(pair[0]), parse_time(pair[1])
    if start == _DAY_END:
        raise ValueError("a range cannot start at 24:00; start the next day at 00:00")
    if start == end:
        raise ValueError(f"the range starts and ends at {pair[0]}; for a whole day write "
                         f'["00:00", "24:00"]')
    return start, end


def load_zone(name: Any) -> tzinfo:
    """Return the IANA time zone of a name; raise ValueError for unknown names."""
    if not isinstance(name, str) or not name:
        raise ValueError("the time zone must be an IANA name such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe"
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin")\
            from None


class Schedule:
    """A weekly calendar: open intervals per weekday, overnight ranges spilled into the next day."""

    __slots__ = ("week",)

    def __init__(self, weekly: dict[str, list]) -> None:
        days: list[list[Interval]] = [[] for _ in DAYS]
        for index, name in enumerate(DAYS):
            for pair in weekly.get(name, ()):
                start, end = parse_range(pair)
                if end > start:
                    days[index].append((start, end))
                    continue
                days[index].append((start, _DAY_END))
                if end:  # 22:00-00:00 ends at midnight: nothing spills over
                    days[(index + 1) % 7].append((0, end))
        self.week = tuple(tuple(sorted(day)) for day in days)

    def is_open(self, local: datetime) -> bool:
        """Return True when the local wall-clock time falls in an open interval of its weekday."""
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    def after_open_time(self, local: datetime, minutes: float,
                        holidays: frozenset[date] = frozenset(), horizon_days: int = 366
                        ) -> datetime | None:
        """Return the local time when `minutes` of open time have passed since `local`.

        Closed hours, closed days and holidays do not count: two hours asked on Saturday
        morning end on Monday two hours after opening. None when the calendar has no open time
        within `horizon_days`.
        """
        now = local.hour * 60 + local.minute + local.second / 60
        left = max(0.0, float(minutes))
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if day in holidays:
                continue
            for start, end in self.week[day.weekday()]:
                begin = max(start, now) if offset == 0 else start
                if begin >= end:
                    continue
                if left <= end - begin:
                    midnight = datetime.combine(day, time(0), local.tzinfo)
                    return midnight + timedelta(minutes=begin + left)
                left -= end - begin
        return None


def hours_problems(config: dict) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for every bad zone, time, range and date in a config."""
    problems: list[tuple[str, str]] = []
    zone = config.get("timezone")
    if not (isinstance(zone, str) and is_template(zone)):
        try:
            load_zone(zone)
        except ValueError as exc:
            problems.append(("/timezone", str(exc)))
    for day, ranges in (config.get("weekly") or {}).items():
        if day not in DAYS:
            problems.append((f"/weekly/{day}", f"unknown day {day!r}; use {', '.join(DAYS)}"))
            continue
        for i, pair in enumerate(ranges):
            problems.extend(_range_problems(pair, f"/weekly/{day}/{i}"))
    for i, text in enumerate(config.get("holidays") or ()):
        try:
            parse_date(text)
        except ValueError as exc:
            problems.append((f"/holidays/{i}", str(exc)))
    return problems


def _range_problems(pair: Any, pointer: str) -> list[tuple[str, str]]:
    """Return what is wrong with one `[start, end]` range, pointing at the bad time if one is."""
    if not (isinstance(pair, list) and len(pair) == 2):
        return [(pointer, "a range is a pair of times [start, end]")]
    bad = []
    for j, text in enumerate(pair):
        try:
            parse_time(text)
        except ValueError as exc:
            bad.append((f"{pointer}/{j}", str(exc)))
    if bad:
        return bad
    try:
        parse_range(pair)
    except ValueError as exc:
        return [(f"{pointer}/0" if pair[0] == "24:00" else pointer, str(exc))]
    return []


class HoursBlock(Block):
    """Take `holiday` on a listed date, else `open` within the weekly hours, else `closed`."""

    manifest = read_manifest(__package__, "hours.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        # A bad config (which validation reports) fails at run time, taking the `error` exit.
        self._problem: str | None = None
        self._zone: tzinfo | None = None
        try:
            zone = config.get("timezone")
            if not (isinstance(zone, str) and is_template(zone)):
                self._zone = load_zone(zone)
            self._schedule = Schedule(config.get("weekly") or {})
            self._holidays = frozenset(parse_date(d) for d in config.get("holidays") or ())
        except (ValueError, TypeError, AttributeError) as exc:
            self._problem = f"bad hours config: {exc}"

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report unknown time zones, bad times, empty ranges and bad dates."""
        return hours_problems(config)

    async def run(self, ctx: Context) -> str:
        """Look at the clock in the business's zone and pick the exit."""
        if self._problem is not None:
            raise BlockError(self._problem)
        zone = self._zone
        if zone is None:  # a templated zone, such as {{ contact.timezone }}
            try:
                zone = load_zone(ctx.config.get("timezone"))
            except ValueError as exc:
                raise BlockError(str(exc)) from None
        now = ctx.now()
        if now.tzinfo is None:  # hosts give aware times; a naive one is taken as UTC, not local
            now = now.replace(tzinfo=timezone.utc)
        local = now.astimezone(zone)
        if local.date() in self._holidays:
            return "holiday"
        return "open" if self._schedule.is_open(local) else "closed"


BLOCKS = (HoursBlock,)
