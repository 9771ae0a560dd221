"""`emulate`: a flow file under Poisson traffic on an emulated board, summed up in one report."""

from __future__ import annotations

import gc
import importlib
import json
import math
import time
import weakref
from datetime import datetime

import pytest

from runtime import InvalidFlow
from runtime.commands import emulate
from runtime.ports import VirtualClock, VirtualTimeLoop
from runtime.ports.emulator import CallerScript, InvalidCallers

OPEN = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
emulate_module = importlib.import_module("runtime.commands.emulate")  # the package shows the function
# callers wait in a queue that never answers until they hang up: a call lasts its holding time
QUEUE = {"schema": "callwright/flow@1", "id": "queue", "start": "wait",
         "blocks": {"wait": {"type": "transfer",
                             "config": {"target": {"queue": "sales"}, "timeout_s": 600},
                             "exits": {"noanswer": "wait", "busy": "wait", "failed": "wait"}}}}
WAITS = CallerScript(name="waits", transfer="noanswer")


def erlang_b(servers: int, erlangs: float) -> float:
    """Erlang's loss formula by the standard recursion B(n) = A B(n-1) / (n + A B(n-1))."""
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = erlangs * blocking / (n + erlangs * blocking)
    return blocking


@pytest.fixture
def queue_flow(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text(json.dumps(QUEUE))
    return path


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


def test_the_report_names_blocking_and_occupancy_in_erlangs_as_capacity_planners_do(
        queue_flow):
    report = emulate(queue_flow, ports=5, cps=0.05, duration_s=4000, speed="max",
                     holding="exp:100", callers=[WAITS], seed=3)
    calls, blocking, erlangs = report["calls"], report["blocking"], report["erlangs"]
    assert calls["blocked"] == calls["rejected"] > 0
    assert blocking["probability"] == pytest.approx(calls["blocked"] / calls["offered"], abs=1e-5)
    low, high = blocking["ci95"]
    assert low < blocking["probability"] < high and blocking["standard_error"] > 0
    # offered erlangs: arrivals a second times how long calls held a port
    assert erlangs["offered"] == pytest.approx(0.05 * erlangs["holding_s"], abs=0.01)
    assert erlangs["holding_s"] == pytest.approx(100, rel=0.25)
    assert blocking["erlang_b"] == pytest.approx(erlang_b(5, erlangs["offered"]), abs=1e-3)
    assert 0 < erlangs["mean"] <= erlangs["peak"] == report["occupancy"]["peak"] == 5
    assert report["holding"] == "exp:100" and report["clock"] == "virtual"
    assert report["event_latency_ms"] is None and report["cpu_s"] > 0


@pytest.mark.parametrize("ports, erlangs, calls, holding", [
    (10, 4.46, 12_000, "exp:100"), (50, 40.25, 12_000, "exp:100"),
    (100, 84.06, 30_000, "exp:100"),
    (10, 4.46, 12_000, "fixed:100")])  # Erlang B holds whatever the holding times' spread
def test_poisson_traffic_with_exponential_holding_is_blocked_as_erlang_b_says(
        queue_flow, ports, erlangs, calls, holding):
    expected = erlang_b(ports, erlangs)  # 1 %, 2 %, 1 %
    cps = erlangs / 100  # a mean holding time of 100 s
    report = emulate(queue_flow, ports=ports, cps=cps, duration_s=calls / cps, speed="max",
                     holding=holding, callers=[WAITS], seed=11)
    blocking = report["blocking"]
    assert report["calls"]["offered"] == pytest.approx(calls, rel=0.05)
    assert report["erlangs"]["offered"] == pytest.approx(erlangs, rel=0.05)
    # the interval is tight, and no tighter than chance allows (blocked calls come in bursts)
    binomial = math.sqrt(expected * (1 - expected) / report["calls"]["offered"])
    assert binomial <= blocking["standard_error"] < 0.25 * expected
    assert abs(blocking["probability"] - expected) < 3 * blocking["standard_error"]


def test_accelerated_mode_runs_the_real_flow_an_hour_of_traffic_in_seconds(example_workspace):
    started = time.monotonic()
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=30, cps=0.5,
                     duration_s=3600, speed="max", seed=4, now=OPEN,
                     callers=[CallerScript(actions=({"digits": "0"},)),
                              CallerScript(actions=({"digits": "2"},), transfer="noanswer")])
    assert time.monotonic() - started < 30 and report["virtual_s"] >= 3600
    assert report["calls"]["answered"] == report["calls"]["completed"] > 1500
    assert set(report["dispositions"]) == {"transferred", "agent_unavailable"}
    # a virtual clock is never late, however busy the machine: answering takes its 0.3 s
    assert report["answer_latency_s"]["max"] == pytest.approx(0.3)


def test_accelerated_mode_waits_for_http_in_real_time_so_the_service_is_reached(
        example_workspace, allow_loopback, http_service):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 7})
    balance = CallerScript(actions=({"digits": "1"}, {"digits": "12345678#", "gap_s": 0.2}))
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=30, cps=1,
                     duration_s=20, speed="max", seed=1, now=OPEN, callers=[balance],
                     vars={"crm_url": http_service.url})
    assert report["errors"] == 0 and set(report["dispositions"]) == {"completed"}
    assert len(http_service.requests) == report["calls"]["answered"] > 5


def test_in_real_time_the_report_gives_how_late_events_were_handled(example_workspace):
    report = emulate(example_workspace / "flows" / "bank-ivr.json", ports=4, cps=2, duration_s=3,
                     speed=10, seed=5, now=OPEN)
    latency = report["event_latency_ms"]
    assert report["clock"] == "real" and latency["events"] > 0
    assert 0 <= latency["p50"] <= latency["p99"] <= latency["max"]


@pytest.mark.parametrize("options, message", [
    ({"speed": "fast"}, "speed must be above 0 or 'max'"),
    ({"holding": "exp:soon"}, "'exp:soon': the seconds must be numbers")])
def test_a_bad_speed_or_holding_time_is_refused_before_anything_runs(queue_flow, options,
                                                                    message):
    with pytest.raises(ValueError, match=message):
        emulate(queue_flow, ports=1, cps=1, duration_s=1, **options)


def test_calls_leave_no_reference_cycles_behind_and_the_collector_is_back_on_after(queue_flow):
    gc.collect()
    report = emulate(queue_flow, ports=2, cps=0.05, duration_s=20_000, speed="max",
                     holding="exp:20", callers=[WAITS], seed=1)
    assert report["calls"]["offered"] > 900
    # what is left to collect is the board and the runtime, not a cycle per call: the
    # emulation runs the cycle collector only once a minute, so calls must not need it
    assert gc.collect() < 200 and gc.isenabled()


def test_during_an_emulation_the_cycle_collector_runs_once_cycles_pile_up(monkeypatch):
    monkeypatch.setattr(emulate_module, "COLLECT_AFTER", 10_000)
    loop = VirtualTimeLoop()
    clock = VirtualClock(loop)

    class Node:
        """Half of a reference cycle: only the cycle collector frees it."""

    def leak(count: int) -> list[weakref.ref]:
        made = []
        for _ in range(count):
            a, b = Node(), Node()
            a.other, b.other = b, a
            made.append(weakref.ref(a))
        return made

    async def scenario() -> tuple[bool, bool, bool]:
        with emulate_module._collector_paused(clock):
            few = leak(100)
            await clock.sleep(60)
            paused = not gc.isenabled() and all(ref() is not None for ref in few)
            many = leak(20_000)  # 80,000 objects: past the bound
            await clock.sleep(60)
            collected = all(ref() is None for ref in few + many)
        return paused, collected, gc.isenabled()

    try:
        paused, collected, enabled_after = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert paused and collected and enabled_after


def test_record_blocks_take_what_emulated_callers_say_and_keep_nothing_on_disk(tmp_path):
    flow = tmp_path / "voicemail.json"
    flow.write_text(json.dumps({
        "schema": "callwright/flow@1", "id": "voicemail", "start": "leave", "blocks": {
            "leave": {"type": "record", "config": {"prompt": "Speak.", "max_s": 10},
                      "exits": {"next": "kept", "noinput": "nothing"}},
            "kept": {"type": "end", "config": {"disposition": "kept"}},
            "nothing": {"type": "end", "config": {"disposition": "nothing"}}}}))
    callers = [CallerScript(name="speaks", actions=({"speak_s": 4},)),
               CallerScript(name="silent", actions=({"silence": True},))]
    report = emulate(flow, ports=4, cps=1, duration_s=20, speed="max", callers=callers, seed=7)
    assert report["errors"] == 0
    assert set(report["dispositions"]) == {"kept", "nothing"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["voicemail.json"]
