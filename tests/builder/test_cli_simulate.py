"""`callwright simulate` prints the transcript as JSON lines and says how the session ended."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from builder.cli import main


def simulate(*args: str):
    result = CliRunner().invoke(main, ["simulate", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, lines


def test_a_chat_session_prints_one_event_per_line(example_workspace):
    result, events = simulate(str(example_workspace / "flows" / "support-bot.json"), "--channel", "chat",
                              "--trigger", "what is my balance", "--input", "no")
    assert result.exit_code == 0
    assert events[0] == {"event": "say", "block": "balance", "text": "Your balance is 42.00 EUR."}
    # 5 steps: the support bot first looks whether it has met the contact (not in a simulation)
    assert events[-1] == {"event": "end", "block": "bye", "disposition": "completed", "steps": 5}


def test_vars_now_and_numbers_reach_the_flow(example_workspace):
    result, events = simulate(str(example_workspace / "flows" / "bank-ivr.json"), "--channel", "voice",
                              "--now", "2026-11-22T12:00:00", "--var", "crm_url=http://x",
                              "--from", "+4930555")
    assert result.exit_code == 0
    assert events[0]["block"] == "closed"  # a Sunday


def test_var_values_parse_as_json_when_they_can(tmp_path):
    flow = tmp_path / "vars.json"
    flow.write_text(json.dumps({"schema": "callwright/flow@1", "id": "vars", "start": "s", "blocks": {
        "s": {"type": "end", "config": {"text": "{{ vars.n + 1 }} {{ vars.word }} {{ contact.from }}"}}}}))
    result, events = simulate(str(flow), "--var", "n=41", "--var", "word=hello", "--from", "+49")
    assert events[0]["text"] == "42 hello +49"


def test_a_flow_error_exits_1_and_a_bad_flow_exits_2_with_the_problems_on_stderr(tmp_path):
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps({"schema": "callwright/flow@1", "id": "failing", "start": "s", "blocks": {
        "s": {"type": "set", "config": {"values": {"vars.x": "{{ vars.a.b() }}"}}}}}))
    assert simulate(str(failing))[0].exit_code == 1
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "callwright/flow@1", "id": "broken",\n "start": }')
    result = CliRunner().invoke(main, ["simulate", str(broken)])
    assert result.exit_code == 2 and "line 2" in result.stderr


def test_bad_arguments_exit_2(example_workspace):
    flow = str(example_workspace / "flows" / "support-bot.json")
    assert CliRunner().invoke(main, ["simulate", flow, "--channel", "fax"]).exit_code == 2
    assert CliRunner().invoke(main, ["simulate", flow, "--var", "novalue"]).exit_code == 2
    assert CliRunner().invoke(main, ["simulate", flow, "--now", "yesterday"]).exit_code == 2
    speech = CliRunner().invoke(main, ["simulate", flow, "--channel", "chat", "--input", "speech:hello"])
    assert speech.exit_code == 2 and "voice channel" in speech.stderr


def test_the_installed_console_script_runs_a_simulation(example_workspace):
    script = Path(sys.executable).parent / "callwright"
    done = subprocess.run([str(script), "simulate", str(example_workspace / "flows" / "card-services.json"),
                           "--channel", "voice", "--input", "4321"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["disposition"] == "card_blocked"
