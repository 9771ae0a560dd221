"""`emulate`: a flow file under Poisson traffic on an emulated board, summed up in one report."""

from __future__ import annotations

from datetime import datetime

import pytest

from runtime import InvalidFlow
from runtime.commands import emulate
from runtime.ports.emulator import CallerScript, InvalidCallers

OPEN = datetime.fromisoformat("2026-11-23T10:00:00+01:00")


def test_the_report_accounts_for_every_offered_call(example_workspace):
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=4, cps=2, duration_s=20,
                     speed=50, seed=5, now=OPEN)
    calls = report["calls"]
    assert calls["offered"] == calls["answered"] + calls["rejected"] + calls["abandoned"] > 0
    assert calls["completed"] == sum(report["dispositions"].values()) == calls["answered"]
    assert calls["unfinished"] == calls["failed"] == 0
    assert 0 < report["occupancy"]["peak"] <= 4 and report["steps"] > 0
    assert report["call_duration_s"]["p50"] <= report["call_duration_s"]["p95"]
    assert report["answer_latency_s"]["p50"] >= 0.3  # answering takes 0.3 s on the emulator
    assert report["virtual_s"] >= 20 and report["seed"] == 5


def test_scripted_callers_steer_every_call(example_workspace):
    agent = CallerScript(actions=({"digits": "0"},))
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=10, cps=1,
                     duration_s=10, speed=50, seed=1, now=OPEN, callers=[agent])
    assert set(report["dispositions"]) == {"transferred"}


def test_the_calendar_starts_at_now_so_a_sunday_finds_the_line_closed(example_workspace):
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=2, cps=1, duration_s=5,
                     speed=50, seed=2, now=datetime.fromisoformat("2026-11-22T15:00:00+01:00"))
    assert set(report["dispositions"]) == {"closed"}


@pytest.mark.parametrize("numbers, message", [
    ({"ports": 0, "cps": 1, "duration_s": 1}, "ports must be at least 1"),
    ({"ports": 1, "cps": -1, "duration_s": 1}, "cps must be at least 0"),
    ({"ports": 1, "cps": 1, "duration_s": 0}, "duration must be above 0"),
    ({"ports": 1, "cps": 1, "duration_s": 1, "speed": 0}, "speed must be above 0")])
def test_bad_numbers_are_refused_before_anything_runs(example_workspace, numbers, message):
    with pytest.raises(ValueError, match=message):
        emulate(example_workspace / "flows" / "bank-ivr.json", **numbers)


def test_a_bad_flow_or_callers_file_is_refused_with_its_problems(example_workspace, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "callwright/flow@1", "id": "broken", "start": "nowhere", '
                      '"blocks": {}}')
    with pytest.raises(InvalidFlow):
        emulate(broken, ports=1, cps=1, duration_s=1)
    callers = tmp_path / "callers.json"
    callers.write_text('[{"actions": [{"press": "1"}]}]')
    with pytest.raises(InvalidCallers) as caught:
        emulate(example_workspace / "flows" / "bank-ivr.json", ports=1, cps=1, duration_s=1,
                callers=callers)
    assert caught.value.problems[0].startswith(f"{callers}: /0/actions/0:")
