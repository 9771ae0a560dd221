"""A voice call: the example bank IVR and card services run by the engine over emulated ports."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from blocks import default_registry
from runtime import Runtime, Workspace, run_sync
from runtime.ports import Clock, PortError, run_call
from runtime.ports.emulator import CallerMix, CallerScript, EmulatorBoard
from runtime.ports.call import collection
from runtime.records import ExecutionLog, RecordsDatabase

OPEN = datetime.fromisoformat("2026-11-23T10:00:00+01:00")  # a Monday morning in Berlin
SPEED = 40
ACCOUNT = {"digits": "12345678#", "gap_s": 0.2}


class Call:
    """One emulated call through a flow of the example workspace, with what happened on it."""

    def __init__(self, workspace, flow: str, script: CallerScript, *, vars: dict | None = None,
                 executions: ExecutionLog | None = None, dial: str | None = None) -> None:
        self.runtime = Runtime(Workspace.load(workspace, default_registry()),
                               executions=executions)
        self.board = EmulatorBoard(1, 2, clock=Clock(SPEED), callers=CallerMix((script,)))
        self.port = self.board.ports[0]
        self.events: list[dict] = []
        self.line: list[tuple] = []  # what the port did, in order
        self.prompts: list[dict] = []  # what the port was asked to play
        self._spy()
        try:
            self.session = run_sync(self._run(flow, vars, dial))
        finally:
            self.runtime.close()

    def _spy(self) -> None:
        play, get_digits = self.port.play, self.port.get_digits

        async def playing(prompt: dict) -> None:
            self.line.append(("play", prompt.get("text") or prompt.get("audio")))
            self.prompts.append(prompt)
            await play(prompt)

        async def collecting(max_digits, timeout_s, inter_digit_s, terminators="#") -> str:
            self.line.append(("collect", max_digits, terminators))
            return await get_digits(max_digits, timeout_s, inter_digit_s, terminators)

        self.port.play, self.port.get_digits = playing, collecting

    async def _run(self, flow: str, vars: dict | None, dial: str | None):
        if dial:
            assert await self.port.dial(dial, caller_id="+4930123456") == "answered"
        else:
            self.board.offer(self.port, caller="+4930555000", called="bank")
            await self.port.answer()
        return await run_call(self.runtime, flow, self.port, vars=vars, clock=lambda: OPEN,
                              on_event=self.events.append)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    @property
    def said(self) -> list[str]:
        return [e["text"] for e in self.of("say")]

    @property
    def played(self) -> list[str]:
        return [entry[1] for entry in self.line if entry[0] == "play"]


def test_a_caller_who_picks_balance_and_types_an_account_hears_it_from_the_crm(
        example_workspace, allow_loopback, http_service):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 1250.5})
    call = Call(example_workspace, "bank-ivr", CallerScript(actions=({"digits": "1"}, ACCOUNT)),
                vars={"crm_url": http_service.url})
    assert call.session.disposition == "completed"
    assert [e["text"] for e in call.of("input")] == ["1", "12345678#"]
    assert call.played[-2:] == ["Your balance is 1250.5 euros.",
                                "Thank you for calling Acme Bank. Goodbye."]
    assert http_service.requests[0]["path"] == "/accounts/12345678"


def test_prompts_play_in_order_before_each_collection_of_keys(
        example_workspace, allow_loopback, http_service):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 3})
    call = Call(example_workspace, "bank-ivr", CallerScript(actions=({"digits": "1"}, ACCOUNT)),
                vars={"crm_url": http_service.url})
    menu = "For your balance press 1. To report a lost card press 2. For an agent press 0."
    assert call.line[:6] == [
        ("play", "Welcome to Acme Bank."), ("play", menu), ("collect", 1, ""),
        ("play", "Please enter your 8-digit account number, then press hash."),
        ("collect", 9, "#"), ("play", "Your balance is 3 euros.")]


def test_text_is_spoken_in_the_flows_language_until_the_session_names_its_own(
        example_workspace):
    flow_file = example_workspace / "flows" / "bank-ivr.json"
    flow = json.loads(flow_file.read_text())
    flow.setdefault("settings", {})["language"] = "ru-RU"
    flow_file.write_text(json.dumps(flow))
    call = Call(example_workspace, "bank-ivr", CallerScript(then="silence"))
    assert {p.get("language") for p in call.prompts if "text" in p} == {"ru-RU"}


def test_silence_at_the_menu_times_out_three_times_then_the_caller_hears_goodbye(
        example_workspace):
    call = Call(example_workspace, "bank-ivr", CallerScript(then="silence"))
    assert len(call.of("noinput")) == 3 and call.said.count("Sorry, I did not get that.") == 3
    assert call.played[-1] == "Thank you for calling Acme Bank. Goodbye."
    assert call.session.disposition == "completed" and call.port.state == "null"


def test_a_caller_who_presses_0_is_transferred_and_leaves_the_port(example_workspace):
    call = Call(example_workspace, "bank-ivr", CallerScript(actions=({"digits": "0"},)))
    assert call.of("transfer")[0]["target"] == {"queue": "support"}
    assert call.session.disposition == "transferred"
    assert call.port.call.ended_by == "transfer" and call.port.state == "null"


def test_a_busy_transfer_takes_the_transfer_blocks_busy_exit(example_workspace):
    call = Call(example_workspace, "bank-ivr",
                CallerScript(actions=({"digits": "2"},), transfer="busy"))
    assert call.session.disposition == "agent_unavailable"
    assert call.played[-1] == "All our advisers are busy. Please call again later."


def test_a_key_pressed_during_the_menu_prompt_is_taken_as_the_choice(example_workspace):
    call = Call(example_workspace, "bank-ivr",
                CallerScript(actions=({"digits": "0", "during_s": 1.0},)))
    assert [e["text"] for e in call.of("input")] == ["0"]
    assert call.session.disposition == "transferred"


def test_a_caller_who_hangs_up_mid_flow_ends_the_session_as_hangup(example_workspace):
    call = Call(example_workspace, "bank-ivr",
                CallerScript(actions=({"digits": "1"}, {"hangup": True, "during_s": 1.0})))
    assert call.session.disposition == "caller_hangup"
    assert call.events[-1]["event"] == "end" and call.events[-1]["block"] == "ask_account"
    assert call.port.call.ended_by == "caller" and call.port.state == "null"
    saved = call.runtime.sessions.get(call.session.id)
    assert saved.status == "ended" and saved.disposition == "caller_hangup"


@pytest.mark.parametrize("script", [
    CallerScript(actions=({"hangup": True, "during_s": 0.5},)),  # during the PIN prompt
    CallerScript(actions=({"digits": "43"},), hangup_after_s=6.0)])  # while typing the PIN
def test_a_hang_up_inside_the_verify_pin_subflow_ends_the_whole_session_as_hangup(
        example_workspace, script):
    call = Call(example_workspace, "card-services", script)
    assert call.session.disposition == "caller_hangup" and call.session.frames == []
    assert call.events[-1] == {"event": "end", "block": "ask_pin", "disposition": "caller_hangup",
                               "steps": call.session.steps}
    assert "Your card is now blocked. A new card is on its way." not in call.said


def test_the_right_pin_typed_in_the_subflow_blocks_the_card(example_workspace):
    call = Call(example_workspace, "card-services", CallerScript(actions=({"digits": "4321#"},)))
    assert call.session.disposition == "card_blocked"
    assert call.played[-1] == "Your card is now blocked. A new card is on its way."


def test_the_steps_of_a_call_go_to_the_execution_log_when_the_runtime_has_one(
        example_workspace, tmp_path):
    records = RecordsDatabase(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    log = ExecutionLog(records.engine)
    try:
        call = Call(example_workspace, "bank-ivr", CallerScript(actions=({"digits": "0"},)),
                    executions=log)
        log.flush()
        blocks = [step["block"] for step in log.steps(call.session.id)]
    finally:
        log.close()
        records.close()
    assert blocks == ["office_hours", "welcome", "main_menu", "to_agent"]


def test_on_an_outbound_call_the_callee_is_the_contact(example_workspace):
    call = Call(example_workspace, "bank-ivr", CallerScript(actions=({"digits": "0"},)),
                dial="+4930777888")
    assert call.session.contact == {"from": "+4930777888", "to": "+4930123456"}
    assert call.session.trigger["direction"] == "outbound"
    assert call.session.disposition == "transferred"


def test_a_call_runs_only_on_a_connected_port(example_workspace):
    runtime = Runtime(Workspace.load(example_workspace, default_registry()))
    try:
        with pytest.raises(PortError, match="connected port"):
            run_sync(run_call(runtime, "bank-ivr", EmulatorBoard(1, 1).ports[0]))
    finally:
        runtime.close()


def test_keys_are_collected_by_what_the_ask_asks_for():
    menu = {"kind": "choice", "choices": [{"key": "1"}, {"key": "0"}], "timeout_s": 5}
    assert collection(menu) == {"max_digits": 1, "timeout_s": 5.0, "inter_digit_s": 3.0,
                                "terminators": ""}
    long_keys = {"kind": "choice", "choices": [{"key": "1"}, {"key": "10"}]}
    assert collection(long_keys)["max_digits"] == 3 and collection(long_keys)["terminators"] == "#"
    pin = {"kind": "digits", "max_length": 4, "terminator": "*", "timeout_s": 8}
    assert collection(pin) == {"max_digits": 5, "timeout_s": 8.0, "inter_digit_s": 3.0,
                               "terminators": "*"}
    assert collection({"kind": "digits", "terminator": ""})["max_digits"] == 32
