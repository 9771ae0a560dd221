"""One flow, three channels: each renders the same actions for its medium."""

from __future__ import annotations

from runtime import simulate
from runtime.channels import ChatChannel, SmsChannel, VoiceChannel, channel_named

MENU = {"event": "ask", "block": "m", "prompt": "Pick one", "kind": "choice",
        "choices": [{"key": "1", "label": "Balance"}, {"key": "0", "label": "Agent"}]}


def test_sms_renders_a_reply_line_per_choice():
    assert SmsChannel().render(dict(MENU))["sms"] == "Pick one\nReply 1 for Balance\nReply 0 for Agent"


def test_sms_says_how_many_segments_each_message_takes():
    sms = SmsChannel()
    assert sms.render(dict(MENU))["segments"] == 1
    assert sms.render({"event": "say", "block": "s", "text": "a" * 161})["segments"] == 2
    assert sms.render({"event": "say", "block": "s", "text": "я" * 71})["segments"] == 2
    assert "segments" not in sms.render({"event": "say", "block": "s", "response": "bank/hours"})


def test_the_webhook_channel_renders_like_sms_without_segments():
    event = channel_named("webhook").render(dict(MENU))
    assert event["message"] == "Pick one\nReply 1 for Balance\nReply 0 for Agent"
    assert "segments" not in event


def test_chat_renders_choices_as_quick_replies():
    assert ChatChannel().render(dict(MENU))["quick_replies"] == ["Balance", "Agent"]


def test_voice_speaks_prompts_and_takes_digits_as_dtmf_and_words_as_speech():
    voice = VoiceChannel()
    assert voice.render(dict(MENU))["speak"] == "Pick one" and voice.render(dict(MENU))["dtmf"]
    assert voice.render({"event": "say", "block": "s", "audio": "hours_en"})["play"] == "hours_en"
    assert voice.parse_input("12#").mode == "dtmf"
    assert voice.parse_input("operator").mode == "speech"


def test_voice_speaks_a_record_blocks_prompt_before_recording():
    voice = VoiceChannel()
    event = {"event": "record", "block": "r", "prompt": "Speak now.", "max_s": 5, "beep": True}
    assert voice.render(dict(event))["speak"] == "Speak now."
    assert voice.render({**event, "prompt": None})["speak"] == ""


def test_an_unknown_channel_is_named_in_the_error():
    try:
        channel_named("fax")
    except ValueError as exc:
        assert "unknown channel 'fax'" in str(exc)
    else:
        raise AssertionError("fax is not a channel")


def test_an_sms_menu_matches_labels_and_synonyms_case_insensitively(example_workspace):
    events: list[dict] = []
    result = simulate(example_workspace / "flows" / "support-bot.json", channel="sms",
                      trigger_text="hi", inputs=["OPENING hours", "Nope"], emit=events.append)
    asks = [e for e in events if e["event"] == "ask"]
    assert asks[0]["sms"].endswith("Reply 1 for Balance\nReply 2 for Opening hours\nReply 0 for Agent")
    assert any(e.get("text", "").startswith("We are open") for e in events)
    assert result.disposition == "completed"


def test_voice_dtmf_does_not_match_labels_but_speech_does(example_workspace):
    from datetime import datetime
    monday = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
    events: list[dict] = []
    simulate(example_workspace / "flows" / "bank-ivr.json", channel="voice", now=monday,
             inputs=["operator"], emit=events.append)
    assert events[-2] == {"event": "transfer", "block": "to_agent", "target": {"queue": "support"}}
