"""A bot in a running flow: the example bank assistant on chat, SMS and voice, in two languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from needs import program

from blocks import default_registry
from runtime import Runtime
from runtime.commands.simulate import simulate
from runtime.errors import InvalidFlow
from runtime.workspace import Workspace


@pytest.fixture
def espeak() -> str:
    """Speech inputs are synthesised by espeak-ng (required under CI)."""
    return program("espeak-ng", "espeak-ng")


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
    assert "credit" in events[0]["text"]


@pytest.mark.parametrize("trigger, text, quick_replies", [
    ("когда вы работаете", "Мы работаем по будням с 8 до 20.",
     ["Мой баланс", "Потерял карту", "Оператор"]),
    ("when are you open", "We are open 8 to 20 on weekdays.",
     ["My balance", "Lost card", "Talk to a person"])])
def test_an_auto_response_is_said_in_the_messages_language_then_the_bot_asks_again(
        example_workspace, trigger, text, quick_replies):
    events, result = run(example_workspace, "chat", trigger, "no thanks")
    assert events[0] == {"event": "say", "block": "understand", "response": "bank/opening_hours",
                         "text": text, "quick_replies": quick_replies}
    assert events[1]["event"] == "ask" and result.disposition == "completed"


@pytest.mark.parametrize("answer", ["2", "speech:stolen card"])
def test_on_the_phone_the_caller_says_or_presses_what_they_need(example_workspace, espeak,
                                                                 answer):
    events, result = run(example_workspace, "voice", None, answer)
    heard = next(e for e in events if e["event"] == "input")
    assert heard["mode"] == ("dtmf" if answer == "2" else "speech")
    assert result.disposition == "card_blocked"


def test_on_the_phone_the_bot_answers_a_spoken_question_with_its_response(example_workspace,
                                                                         espeak):
    # keyed balance, then the bot's "anything else?" hears a spoken question of its examples
    events, result = run(example_workspace, "voice", None, "1", "speech:when are you open", "")
    said = [e["text"] for e in events if e["event"] == "say"]
    assert said[:2] == ["Your balance is 42.00 EUR.", "We are open 8 to 20 on weekdays."]
    spoken = [e for e in events if e["event"] == "input" and e["mode"] == "speech"]
    assert spoken[0]["text"] == "when are you open" and spoken[0]["confidence"] >= 0.5
    assert result.vars["bot"]["intent"] == "opening_hours" and result.disposition == "completed"


def test_in_russian_on_the_phone_keys_work_and_speech_names_the_model_it_needs(
        example_workspace, espeak):
    flow = example_workspace / "flows" / "bank-assistant.json"
    doc = json.loads(flow.read_text())
    doc["settings"]["language"] = "ru-RU"
    flow.write_text(json.dumps(doc))
    events, result = run(example_workspace, "voice", None, "2")
    assert result.disposition == "card_blocked"
    # the flow's language is the session's until a contact has one: the menu is asked in Russian
    [menu] = [e for e in events if e["event"] == "ask"]
    assert menu["prompt"].startswith("Добро пожаловать в Акме Банк.")
    events, result = run(example_workspace, "voice", None, "speech:заблокируйте карту")
    [error] = [e for e in events if e["event"] == "error"]
    assert "[speech.models.ru]" in error["message"] and "only US English" in error["message"]


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
        assert [r.get("text") or r.get("prompt") for r in turn["replies"]] == [
            "Ваш баланс: 42,00 EUR.", "Чем ещё я могу помочь?"]
        # "ok" is not understood, and says too little to switch the customer to English
        turn = runtime.chat_turn("bank-assistant", turn["session"], "ok")
        assert runtime.sessions.get(turn["session"]).contact["language"] == "ru"
    finally:
        runtime.close()


@pytest.mark.parametrize("channel", ["chat", "sms"])
@pytest.mark.parametrize("question, english, russian", [
    ("balance", "what is my balance", "какой у меня баланс"),
    ("hours", "when are you open", "когда вы работаете"),
])
def test_the_same_question_is_answered_in_its_language_on_each_text_channel(
        example_workspace, channel, question, english, russian):
    answers = {}
    for language, text in (("en", english), ("ru", russian)):
        events, _ = run(example_workspace, channel, text, "")
        answers[language] = [e for e in events if e["event"] == "say"][0]
    assert answers["en"]["response"] == answers["ru"]["response"]  # one bot, one response
    assert answers["ru"]["text"] != answers["en"]["text"]
    assert any("а" <= ch <= "я" for ch in answers["ru"]["text"].lower())  # Cyrillic
    if question == "hours":  # each channel its own form: short on SMS, buttons on chat
        assert ("quick_replies" in answers["en"]) == (channel == "chat")


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


def test_a_response_is_said_in_each_channels_form(example_workspace):
    responses = example_workspace / "responses" / "bank.json"
    doc = json.loads(responses.read_text("utf-8"))
    doc["responses"]["opening_hours"]["variants"].insert(
        0, {"channel": "chat", "language": "en", "text": "Mon-Fri {{ 8 }}-20.",
            "quick_replies": ["Balance"]})
    doc["responses"]["opening_hours"]["variants"] += [
        {"channel": "voice", "language": "en", "audio": "hours_en"}]
    responses.write_text(json.dumps(doc), "utf-8")
    voice, _ = run(example_workspace, "voice", None, "when are you open", "")
    # on the phone the say-or-press menu takes it; its `say` names the same response
    assert voice[2] == {"event": "say", "block": "say_hours", "response": "bank/opening_hours",
                        "audio": "hours_en", "play": "hours_en"}  # the voice channel plays it
    chat, _ = run(example_workspace, "chat", "when are you open", "")
    assert chat[0] == {"event": "say", "block": "understand", "response": "bank/opening_hours",
                       "text": "Mon-Fri 8-20.", "quick_replies": ["Balance"]}
    sms, _ = run(example_workspace, "sms", "when are you open", "")
    assert sms[0]["text"] == "Acme Bank: open Mon-Fri 8-20."  # the example's SMS variant


def test_a_recording_is_played_on_the_phone_and_text_channels_pass_it_by(example_workspace):
    responses = example_workspace / "responses" / "bank.json"
    doc = json.loads(responses.read_text("utf-8"))
    hours = doc["responses"]["opening_hours"]
    hours["variants"].insert(0, {"language": "en", "audio": "hours_en"})  # no text: voice only
    responses.write_text(json.dumps(doc), "utf-8")
    voice, _ = run(example_workspace, "voice", None, "when are you open", "")
    assert voice[2]["play"] == "hours_en" and "speak" not in voice[2]
    for channel, text in (("chat", "We are open 8 to 20 on weekdays."),
                          ("sms", "Acme Bank: open Mon-Fri 8-20.")):
        events, _ = run(example_workspace, channel, "when are you open", "")
        assert events[0]["text"] == text, events[0]


def test_a_flow_naming_a_response_the_workspace_lacks_does_not_go_live(example_workspace):
    (example_workspace / "responses" / "bank.json").unlink()
    with pytest.raises(InvalidFlow) as raised:
        run(example_workspace, "chat", "when are you open")
    assert "/blocks/say_hours/config/response" in {p.pointer for p in raised.value.problems}


def test_a_response_gone_from_a_live_set_takes_the_error_exit(example_workspace):
    runtime = Runtime(Workspace.load(example_workspace, default_registry()))
    try:
        (example_workspace / "responses" / "bank.json").unlink()  # after the flow went live
        runtime.workspace.reload()
        turn = runtime.chat_turn("bank-assistant", None, "when are you open")
    finally:
        runtime.close()
    # the auto-response cannot be said: the bot block fails, and nothing catches its error
    [end] = turn["replies"]
    assert (end["event"], end["block"], end["disposition"]) == ("end", "understand", "error")