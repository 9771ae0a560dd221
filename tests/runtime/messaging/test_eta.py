"""`{{ eta }}`: the channel's service level counted in the opening hours of the `hours` calendar."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from runtime.messaging.eta import AnswerTime, service_minutes
from runtime.workspace.settings import SettingsError, load_settings

WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = {"timezone": "Europe/Berlin", "weekly": WEEKDAYS, "holidays": ["2026-12-24"]}


def answer_time(**levels: str) -> AnswerTime:
    return AnswerTime({"service_levels": levels, "hours": BERLIN})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_a_mail_acknowledged_on_saturday_promises_monday_morning():
    # Saturday 5 December 2026, 11:00 in Berlin: four open hours from Monday's 09:00
    assert answer_time(email="4h").eta("email", utc(2026, 12, 5, 10, 0)) == "Monday at 13:00"


def test_within_opening_hours_the_service_level_runs_on_the_same_day():
    assert answer_time(email="2h").eta("email", utc(2026, 12, 3, 9, 30)) == "today at 12:30"


def test_open_time_left_at_the_end_of_a_day_carries_over_to_the_next_open_day():
    # Friday 17:00 Berlin: one hour today, three on Monday
    assert answer_time(email="4h").eta("email", utc(2026, 12, 4, 16, 0)) == "Monday at 12:00"


def test_a_holiday_is_not_open_time():
    # Wednesday 23 December, 17:30 Berlin: half an hour, then the 24th is a holiday
    assert answer_time(email="1h").eta("email", utc(2026, 12, 23, 16, 30)) == "Friday at 09:30"


def test_a_channel_without_a_service_level_promises_nothing():
    assert answer_time(email="4h").eta("chat", utc(2026, 12, 5, 10, 0)) is None


def test_without_a_calendar_people_answer_around_the_clock():
    times = AnswerTime({"service_levels": {"sms": "30m"}})
    assert times.eta("sms", utc(2026, 12, 5, 23, 50)) == "tomorrow at 00:20"


@pytest.mark.parametrize("text", ["4 days", "", "h4", "-1h"])
def test_a_service_level_that_is_not_minutes_or_hours_is_refused(text):
    with pytest.raises(ValueError, match="is not a service level"):
        service_minutes(text)


def test_bad_service_levels_and_hours_in_settings_name_their_place(tmp_path):
    (tmp_path / "callwright.toml").write_text(
        '[service_levels]\nemail = "four hours"\n[hours]\ntimezone = "Mars/Olympus"\n'
        '[hours.weekly]\nmon = [["09:00", "25:00"]]\n', "utf-8")
    with pytest.raises(SettingsError) as error:
        load_settings(tmp_path, {})
    text = str(error.value)
    assert "/service_levels/email" in text
    assert "/hours/timezone: unknown time zone 'Mars/Olympus'" in text
    assert "/hours/weekly/mon/0/1" in text
