"""A bot in a running flow: the example bank assistant on chat, SMS and voice, in two languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blocks import default_registry
from runtime import Runtime
from runtime.commands.simulate import simulate
from runtime.workspace import Workspace


def run(workspace: Path, channel: str, trigger: str | None, *inputs: str) -> tuple[list, object]:
    events: list[dict] = []
    result = simulate(workspace / "flows" / "bank-assistant.json", channel=channel,
                      trigger_text=trigger, inputs=inputs, emit=events.append)
    return events, result


@pytest.mark.parametrize("channel", ["chat", "sms"])
@pytest.mark.parametrize("trigger", ["I lost my credit card", "у меня украли кредитную карту"])
def test_the_first_message_is_understood_in_either_language(example_workspace, channel, trigger):
    events, result = run(example_workspace, channel, trigger)
    assert result.disposition == "card_blocked"
    assert result.vars["bot"]["intent"] == "card_block"
    assert result.vars["bot"]["entities"]["card"] == "credit"
    assert "credit card" in events[0]["text"]


def test_an_auto_response_is_said_by_reference_then_the_bot_asks_again(example_workspace):
    events, result = run(example_workspace, "chat", "когда вы работаете", "нет, спасибо")
    assert events[0] == {"event": "say", "block": "understand", "response": "bank/opening_hours"}
    assert events[1]["event"] == "ask" and result.disposition == "completed"


def test_on_the_phone_the_bot_asks_and_understands_the_spoken_answer(example_workspace):
    events, result = run(example_workspace, "voice", None, "what is my balanse", "")
    assert [e["event"] for e in events][:3] == ["ask", "input", "say"]
    assert events[2]["text"] == "Your balance is 42.00 EUR."
    assert result.disposition == "completed"


def test_a_message_never_understood_goes_to_an_agent(example_workspace):
    events, result = run(example_workspace, "chat", "blah", "who won the football match", "")
    assert result.disposition == "transferred"
    assert result.vars["bot"]["intent"] is None


def test_the_detected_language_is_kept_with_the_contact(example_workspace):
    runtime = Runtime(Workspace.load(example_workspace, default_registry()))
    try:
        turn = runtime.chat_turn("bank-assistant", None, "сколько денег на счету")
        session = runtime.sessions.get(turn["session"])
        assert session.contact["language"] == "ru"
        assert turn["replies"][0]["text"] == "Your balance is 42.00 EUR."
    finally:
        runtime.close()


ASK_THEN_BOT = {
    "schema": "callwright/flow@1", "id": "ask-then-bot", "start": "question",
    "blocks": {"question": {"type": "ask", "config": {"prompt": "Your question?", "kind": "text",
                                                      "variable": "vars.q"},
                            "exits": {"next": "understand"}},
               "understand": {"type": "bot", "config": {"bot": "bank"},
                              "exits": {"balance": "balance"}},
               "balance": {"type": "end", "config": {"disposition": "balance"}}}}


@pytest.mark.parametrize("channel", ["chat", "voice"])
def test_without_an_input_the_bot_reads_the_last_answer_not_the_trigger(example_workspace,
                                                                          channel):
    (example_workspace / "flows" / "ask-then-bot.json").write_text(
        json.dumps(ASK_THEN_BOT), "utf-8")
    result = simulate(example_workspace / "flows" / "ask-then-bot.json", channel=channel,
                      trigger_text="hello", inputs=["how much money do I have"],
                      emit=lambda event: None)
    assert result.disposition == "balance"
    assert result.vars["bot"]["text"] == "how much money do I have"


def test_across_chat_turns_the_bot_reads_the_answer_that_resumed_the_session(example_workspace):
    (example_workspace / "flows" / "ask-then-bot.json").write_text(
        json.dumps(ASK_THEN_BOT), "utf-8")
    runtime = Runtime(Workspace.load(example_workspace, default_registry()))
    try:
        first = runtime.chat_turn("ask-then-bot", None, "hello")
        assert first["ended"] is False
        second = runtime.chat_turn("ask-then-bot", first["session"], "сколько денег на счету")
        assert second["ended"] is True
        assert runtime.sessions.get(first["session"]).disposition == "balance"
    finally:
        runtime.close()
