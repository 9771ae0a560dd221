"""The `record` block: a prompt, a beep and a recording on voice; `noinput` when nothing came."""

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.record import RecordBlock
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(RecordBlock.manifest["config_schema"])
MESSAGE = {"prompt": "Leave a message after the tone.", "variable": "vars.message"}


def test_a_caller_who_speaks_is_recorded_and_the_recording_stored_in_the_variable():
    result = run_block(RecordBlock, MESSAGE, channel="voice", recording=4.5, block_id="voicemail")
    assert result.exit == "next"
    assert result.vars["message"] == {"recording": "rec-voicemail", "seconds": 4.5,
                                      "url": "/api/v1/recordings/rec-voicemail/audio"}
    assert result.of("record") == [{"event": "record", "block": "voicemail",
                                    "prompt": "Leave a message after the tone.", "max_s": 60,
                                    "beep": True}]


def test_a_caller_who_says_nothing_takes_noinput_and_sets_nothing():
    result = run_block(RecordBlock, MESSAGE, channel="voice", recording=0)
    assert result.exit == "noinput"
    assert "message" not in result.vars
    assert [e["event"] for e in result.events] == ["record", "noinput"]


@pytest.mark.parametrize("channel", ["chat", "sms", "email", "webhook"])
def test_channels_other_than_voice_cannot_record_and_take_noinput(channel):
    result = run_block(RecordBlock, MESSAGE, channel=channel, recording=4.5)
    assert result.exit == "noinput"
    assert "message" not in result.vars


def test_the_prompt_is_a_template_and_max_s_and_beep_are_passed_on():
    result = run_block(RecordBlock, {"prompt": "Hello {{ vars.name }}, speak now.",
                                     "max_s": 5, "beep": False},
                       vars={"name": "Ada"}, channel="voice", recording=9)
    event = result.of("record")[0]
    assert (event["prompt"], event["max_s"], event["beep"]) == ("Hello Ada, speak now.", 5, False)
    assert result.exit == "next"  # recorded, stored nowhere: no variable was named


def test_no_prompt_records_after_the_beep_alone():
    result = run_block(RecordBlock, {}, channel="voice", recording=2)
    assert result.of("record")[0]["prompt"] is None
    assert result.exit == "next"


@pytest.mark.parametrize("config", [{"max_s": 0}, {"max_s": 3601}, {"max_s": 2.5},
                                    {"beep": "yes"}, {"variable": "message"},
                                    {"duration": 3}])
def test_the_config_schema_refuses_what_the_block_cannot_do(config):
    assert list(VALIDATOR.iter_errors(config))


def test_the_config_schema_takes_the_design_fields():
    assert not list(VALIDATOR.iter_errors({"prompt": "Speak.", "max_s": 3600, "beep": False,
                                           "variable": "contact.last_message"}))


def test_the_block_declares_next_and_noinput():
    assert RecordBlock.exits_for({}) == ["next", "noinput", "error"]
