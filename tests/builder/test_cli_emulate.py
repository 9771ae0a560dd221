"""`callwright emulate` prints one JSON stats report; bad flows and arguments exit 2."""

from __future__ import annotations

import json

from click.testing import CliRunner

from builder.cli import main

OPEN = "2026-11-23T10:00:00+01:00"


def emulate(*args: str):
    result = CliRunner().invoke(main, ["emulate", *args])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_a_run_prints_one_json_report_and_exits_0_even_with_rejections(example_workspace):
    result, report = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "1",
                             "--cps", "3", "--duration", "10", "--speed", "50", "--seed", "3",
                             "--now", OPEN)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    assert report["ports"] == 1 and report["speed"] == 50
    assert report["calls"]["rejected"] > 0 and report["occupancy"]["peak"] == 1
    assert {"offered", "answered", "completed", "rejected"} <= set(report["calls"])
    assert {"dispositions", "call_duration_s", "answer_latency_s", "steps", "errors", "wall_s",
            "virtual_s"} <= set(report)


def test_the_http_block_reaches_a_service_the_allow_list_lets_through(
        example_workspace, allow_loopback, http_service, tmp_path):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 7})
    callers = tmp_path / "callers.json"
    callers.write_text(json.dumps([{"actions": [{"digits": "1"},
                                                {"digits": "12345678#", "gap_s": 0.2}]}]))
    result, report = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "5",
                             "--cps", "1", "--duration", "4", "--speed", "20", "--seed", "1",
                             "--now", OPEN, "--callers", str(callers),
                             "--var", f"crm_url={http_service.url}")
    assert result.exit_code == 0, result.output
    assert report["errors"] == 0 and set(report["dispositions"]) == {"completed"}
    assert len(http_service.requests) == report["calls"]["answered"] > 0


def test_an_invalid_flow_exits_2_with_its_problems_on_stderr(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "callwright/flow@1", "id": "broken",\n "start": }')
    result, _ = emulate(str(broken), "--ports", "1", "--cps", "1", "--duration", "1")
    assert result.exit_code == 2 and "line 2" in result.stderr


def test_a_bad_callers_file_exits_2_naming_the_problem(example_workspace, tmp_path):
    callers = tmp_path / "callers.json"
    callers.write_text('[{"transfer": "maybe"}]')
    result, _ = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "1",
                        "--cps", "1", "--duration", "1", "--callers", str(callers))
    assert result.exit_code == 2 and "/0/transfer" in result.stderr


def test_speed_max_runs_a_virtual_clock_and_holding_sets_how_long_callers_stay(
        example_workspace):
    result, report = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "3",
                             "--cps", "1", "--duration", "600", "--speed", "max", "--holding",
                             "fixed:2", "--seed", "3", "--now", OPEN)
    assert result.exit_code == 0, result.output
    assert report["speed"] == "max" and report["clock"] == "virtual"
    assert report["holding"] == "fixed:2" and report["call_duration_s"]["max"] <= 2
    assert {"blocked", "rejected"} <= set(report["calls"])
    assert {"probability", "standard_error", "ci95", "erlang_b"} == set(report["blocking"])


def test_a_bad_holding_time_exits_2_naming_the_option_and_the_syntax(example_workspace):
    result, _ = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "1",
                        "--cps", "1", "--duration", "1", "--holding", "exp:three")
    assert result.exit_code == 2 and "--holding" in result.stderr
    assert "exp:MEAN, fixed:SECONDS or uniform:LOW:HIGH" in result.stderr


def test_a_callers_file_with_a_bad_holding_exits_2_naming_the_entry(example_workspace, tmp_path):
    callers = tmp_path / "callers.json"
    callers.write_text('[{"holding": "exp:60"}, {"holding": "gauss:5"}]')
    result, _ = emulate(str(example_workspace / "flows" / "bank-ivr.json"), "--ports", "1",
                        "--cps", "1", "--duration", "1", "--callers", str(callers))
    assert result.exit_code == 2 and "/1/holding" in result.stderr and "gauss:5" in result.stderr


def test_bad_arguments_exit_2(example_workspace):
    flow = str(example_workspace / "flows" / "bank-ivr.json")
    for args in (["--cps", "1", "--duration", "1"],  # no --ports
                 ["--ports", "0", "--cps", "1", "--duration", "1"],
                 ["--ports", "1", "--cps", "1", "--duration", "1", "--speed", "0"],
                 ["--ports", "1", "--cps", "1", "--duration", "1", "--speed", "fastest"],
                 ["--ports", "1", "--cps", "1", "--duration", "1", "--speed", "inf"],
                 ["--ports", "1", "--cps", "1", "--duration", "1", "--now", "soon"],
                 ["--ports", "1", "--cps", "1", "--duration", "1", "--var", "novalue"]):
        assert emulate(flow, *args)[0].exit_code == 2, args
