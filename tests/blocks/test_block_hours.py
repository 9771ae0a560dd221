"""The `hours` block: weekly hours in a time zone, overnight ranges, DST and holidays."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.hours import HoursBlock, Schedule
from blocks.registry import BlockType, Registry
from blocks.sdk.testing import BlockResult, run_block

WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = {"timezone": "Europe/Berlin", "weekly": WEEKDAYS, "holidays": ["2026-12-25"]}


def utc(*args: int) -> datetime:
    """Return a UTC time."""
    return datetime(*args, tzinfo=timezone.utc)


def exit_at(config: dict, now: datetime) -> str | None:
    """Run the block at a fixed time and return the exit it took."""
    result = run_block(HoursBlock, config, now=now)
    assert result.error is None
    return result.exit


@pytest.mark.parametrize("now, exit_name", [
    (utc(2026, 1, 5, 7, 59), "closed"),   # Mon 08:59 CET
    (utc(2026, 1, 5, 8, 0), "open"),      # Mon 09:00 CET: the start is open
    (utc(2026, 1, 5, 16, 59, 59), "open"),  # Mon 17:59:59 CET
    (utc(2026, 1, 5, 17, 0), "closed"),   # Mon 18:00 CET: the end is closed
    (utc(2026, 1, 10, 12, 0), "closed"),  # Saturday: no hours
    (utc(2026, 12, 25, 10, 0), "holiday"),  # a Friday in business hours, but a holiday
    (utc(2026, 12, 25, 22, 0), "holiday"),  # Fri 23:00 CET: still the holiday, all day
])
def test_weekly_hours_in_the_business_zone(now: datetime, exit_name: str) -> None:
    assert exit_at(BERLIN, now) == exit_name


def test_the_same_instant_differs_by_zone() -> None:
    now = utc(2026, 1, 5, 15, 30)  # 16:30 in Berlin, 10:30 in New York, 00:30 Tue in Tokyo
    assert exit_at(BERLIN, now) == "open"
    assert exit_at({"timezone": "America/New_York", "weekly": WEEKDAYS}, now) == "open"
    assert exit_at({"timezone": "Asia/Tokyo", "weekly": WEEKDAYS}, now) == "closed"
    assert exit_at({"timezone": "America/Los_Angeles", "weekly": WEEKDAYS}, now) == "closed"


def test_half_hour_offsets() -> None:
    kolkata = {"timezone": "Asia/Kolkata", "weekly": WEEKDAYS}  # UTC+05:30
    assert exit_at(kolkata, utc(2026, 1, 5, 3, 29)) == "closed"
    assert exit_at(kolkata, utc(2026, 1, 5, 3, 30)) == "open"


def test_daylight_saving_time_moves_the_hours_in_utc() -> None:
    # Berlin moves from UTC+1 to UTC+2 on Sunday 29 March 2026
    assert exit_at(BERLIN, utc(2026, 3, 27, 7, 30)) == "closed"  # Fri 08:30 CET
    assert exit_at(BERLIN, utc(2026, 3, 30, 7, 30)) == "open"    # Mon 09:30 CEST
    assert exit_at(BERLIN, utc(2026, 3, 30, 16, 0)) == "closed"  # Mon 18:00 CEST
    # ... and back on Sunday 25 October 2026
    assert exit_at(BERLIN, utc(2026, 10, 23, 16, 30)) == "closed"  # Fri 18:30 CEST
    assert exit_at(BERLIN, utc(2026, 10, 26, 16, 30)) == "open"    # Mon 17:30 CET
    # New York moves on Sunday 8 March 2026
    new_york = {"timezone": "America/New_York", "weekly": WEEKDAYS}
    assert exit_at(new_york, utc(2026, 3, 6, 13, 30)) == "closed"  # Fri 08:30 EST
    assert exit_at(new_york, utc(2026, 3, 9, 13, 30)) == "open"    # Mon 09:30 EDT


def test_the_skipped_hour_of_spring_forward() -> None:
    config = {"timezone": "Europe/Berlin", "weekly": {"sun": [["02:00", "03:00"]]}}
    # 02:00-03:00 does not exist on 29 March 2026: 00:59 UTC is 01:59 CET, 01:00 UTC 03:00 CEST
    assert exit_at(config, utc(2026, 3, 29, 0, 59)) == "closed"
    assert exit_at(config, utc(2026, 3, 29, 1, 0)) == "closed"
    assert exit_at(config, utc(2026, 3, 22, 1, 30)) == "open"  # a week earlier: 02:30 CET


@pytest.mark.parametrize("now, exit_name", [
    (utc(2026, 1, 9, 21, 59), "closed"),  # Fri 21:59
    (utc(2026, 1, 9, 22, 0), "open"),     # Fri 22:00
    (utc(2026, 1, 9, 23, 59), "open"),
    (utc(2026, 1, 10, 0, 0), "open"),     # Sat 00:00, the overnight range goes on
    (utc(2026, 1, 10, 1, 59), "open"),
    (utc(2026, 1, 10, 2, 0), "closed"),   # Sat 02:00 ends it
    (utc(2026, 1, 10, 22, 30), "closed"),  # Saturday has no range of its own
    (utc(2026, 1, 11, 23, 0), "open"),    # Sun 23:00 ...
    (utc(2026, 1, 12, 0, 30), "open"),    # ... runs into Monday: the week wraps
    (utc(2026, 1, 12, 1, 0), "closed"),
])
def test_a_range_ending_before_it_starts_runs_past_midnight(now: datetime,
                                                            exit_name: str) -> None:
    config = {"timezone": "UTC", "weekly": {"fri": [["22:00", "02:00"]],
                                            "sun": [["23:00", "01:00"]]}}
    assert exit_at(config, now) == exit_name


def test_midnight_ends_and_whole_days() -> None:
    config = {"timezone": "UTC", "weekly": {"mon": [["00:00", "24:00"]],
                                            "tue": [["20:00", "00:00"]]}}
    assert exit_at(config, utc(2026, 1, 5, 0, 0)) == "open"
    assert exit_at(config, utc(2026, 1, 5, 23, 59, 59)) == "open"
    assert exit_at(config, utc(2026, 1, 6, 23, 59)) == "open"
    assert exit_at(config, utc(2026, 1, 7, 0, 0)) == "closed"  # 20:00-00:00 spills nothing


def test_several_ranges_a_day() -> None:
    config = {"timezone": "UTC", "weekly": {"mon": [["14:00", "18:00"], ["08:00", "12:00"]]}}
    assert [exit_at(config, utc(2026, 1, 5, h)) for h in (7, 8, 12, 13, 14, 18)] == \
        ["closed", "open", "closed", "closed", "open", "closed"]


def test_holidays_are_dates_in_the_business_zone() -> None:
    config = {"timezone": "Europe/Berlin", "weekly": {"thu": [["00:00", "24:00"]]},
              "holidays": ["2026-12-25"]}
    # 23:30 UTC on Thursday 24 December is already 00:30 on the 25th in Berlin
    assert exit_at(config, utc(2026, 12, 24, 22, 59)) == "open"
    assert exit_at(config, utc(2026, 12, 24, 23, 30)) == "holiday"
    in_utc = dict(config, timezone="UTC")
    assert exit_at(in_utc, utc(2026, 12, 24, 23, 30)) == "open"


def test_a_holiday_wins_over_an_overnight_range_from_the_day_before() -> None:
    config = {"timezone": "UTC", "weekly": {"thu": [["20:00", "04:00"]]},
              "holidays": ["2026-12-25"]}
    assert exit_at(config, utc(2026, 12, 24, 23, 0)) == "open"
    assert exit_at(config, utc(2026, 12, 25, 1, 0)) == "holiday"


def test_a_templated_time_zone_is_resolved_per_run() -> None:
    config = {"timezone": "{{ contact.timezone }}", "weekly": WEEKDAYS}
    now = utc(2026, 1, 5, 15, 30)
    def run_in(zone: str) -> BlockResult:
        """Run the block for a contact in `zone`."""
        return run_block(HoursBlock, config, now=now, contact={"timezone": zone})
    assert run_in("Europe/Berlin").exit == "open"
    assert run_in("Asia/Tokyo").exit == "closed"
    result = run_in("Mars/Olympus")
    assert result.exit == "error"
    assert "unknown time zone 'Mars/Olympus'" in result.error


def test_a_naive_clock_is_taken_as_utc_not_as_the_machine_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        tokyo = {"timezone": "Asia/Tokyo", "weekly": WEEKDAYS}
        # taken as New York time these would be 22:30 Mon and 13:30 Tue in Tokyo
        assert exit_at(tokyo, datetime(2026, 1, 5, 8, 30)) == "open"  # 17:30 Mon in Tokyo
        assert exit_at(tokyo, datetime(2026, 1, 5, 23, 30)) == "closed"  # 08:30 Tue in Tokyo
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_bad_config_that_escaped_validation_takes_the_error_exit() -> None:
    result = run_block(HoursBlock, {"timezone": "UTC", "weekly": {"mon": [["9:00", "17:00"]]}})
    assert result.exit == "error"
    assert "'9:00' is not a time HH:MM" in result.error


def test_exits() -> None:
    assert HoursBlock.exits_for(BERLIN) == ["open", "closed", "holiday", "error"]


def test_check_reports_every_problem_with_its_pointer() -> None:
    config = {"timezone": "Europe/Berlinn",
              "weekly": {"mon": [["09:00", "18:00"], ["25:00", "26:00"]],
                         "tue": [["10:00", "10:00"]],
                         "wed": [["24:00", "02:00"], ["08:00", "12:60"]],
                         "thu": [["9:00", "17:00"]]},
              "holidays": ["2026-12-25", "2026-02-30", "25.12.2026", "20261225"]}
    problems = HoursBlock.check(config)
    assert [pointer for pointer, _ in problems] == [
        "/timezone", "/weekly/mon/1/0", "/weekly/mon/1/1", "/weekly/tue/0", "/weekly/wed/0/0",
        "/weekly/wed/1/1", "/weekly/thu/0/0", "/holidays/1", "/holidays/2", "/holidays/3"]
    messages = dict(problems)
    assert "unknown time zone 'Europe/Berlinn'" in messages["/timezone"]
    assert "between 00:00 and 24:00" in messages["/weekly/mon/1/0"]
    assert "starts and ends at 10:00" in messages["/weekly/tue/0"]
    assert "cannot start at 24:00" in messages["/weekly/wed/0/0"]
    assert "not a date on the calendar" in messages["/holidays/1"]
    assert "not a date YYYY-MM-DD" in messages["/holidays/3"]


@pytest.mark.parametrize("zone", ["", "Europe", "../etc/passwd", "utc", "zone1970.tab"])
def test_check_refuses_names_that_are_not_zones(zone: str) -> None:
    problems = HoursBlock.check({"timezone": zone, "weekly": {}})
    assert [pointer for pointer, _ in problems] == ["/timezone"]


def test_check_accepts_sound_configs() -> None:
    assert HoursBlock.check(BERLIN) == []
    assert HoursBlock.check({"timezone": "{{ contact.timezone }}", "weekly": {
        "sat": [["22:00", "02:00"], ["00:00", "24:00"]]}}) == []


@pytest.mark.parametrize("config", [
    {"weekly": WEEKDAYS},
    {"timezone": "UTC"},
    {"timezone": "", "weekly": {}},
    {"timezone": "UTC", "weekly": {"monday": [["09:00", "17:00"]]}},
    {"timezone": "UTC", "weekly": {"mon": [["9:00", "17:00"]]}},
    {"timezone": "UTC", "weekly": {"mon": [["24:00", "02:00"]]}},
    {"timezone": "UTC", "weekly": {"mon": [["09:00", "24:30"]]}},
    {"timezone": "UTC", "weekly": {"mon": [["09:00"]]}},
    {"timezone": "UTC", "weekly": {"mon": [["09:00", "12:00", "18:00"]]}},
    {"timezone": "UTC", "weekly": {}, "holidays": ["25.12.2026"]},
    {"timezone": "UTC", "weekly": {}, "holidays": ["2026-12-25", "2026-12-25"]},
    {"timezone": "UTC", "weekly": {}, "open": True},
])
def test_the_config_schema_refuses_bad_configs(config: dict) -> None:
    assert list(Draft7Validator(HoursBlock.manifest["config_schema"]).iter_errors(config)) != []


def test_the_config_schema_accepts_a_sound_config() -> None:
    config = dict(BERLIN, weekly=dict(WEEKDAYS, sat=[["22:00", "02:00"]], sun=[["00:00", "24:00"]]))
    assert list(Draft7Validator(HoursBlock.manifest["config_schema"]).iter_errors(config)) == []


def test_the_registry_accepts_the_block() -> None:
    registry = Registry()
    assert isinstance(registry.register(HoursBlock), BlockType)
    assert registry.broken == []
    assert registry.resolve("hours").raw_fields == ("weekly", "holidays")


def test_open_time_is_counted_across_an_overnight_range_and_skips_holidays():
    schedule = Schedule({"mon": [["22:00", "02:00"]], "wed": [["09:00", "10:00"]]})
    monday_late = datetime(2026, 12, 7, 23, 0)
    # one hour on Monday night, two after Tuesday's midnight
    assert schedule.after_open_time(monday_late, 180) == datetime(2026, 12, 8, 2, 0)
    # the rest waits for Wednesday's hour; with Wednesday a holiday, for the next Monday
    assert schedule.after_open_time(monday_late, 200) == datetime(2026, 12, 9, 9, 20)
    assert schedule.after_open_time(monday_late, 200, frozenset({date(2026, 12, 9)})) == \
        datetime(2026, 12, 14, 22, 20)
    assert Schedule({}).after_open_time(monday_late, 1) is None  # never open
