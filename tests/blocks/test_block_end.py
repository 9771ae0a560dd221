"""The `end` block: last words, then the session ends with its disposition."""

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.end import EndBlock
from blocks.registry import Registry
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(EndBlock.manifest["config_schema"])


def test_end_defaults_to_completed_and_says_nothing():
    result = run_block(EndBlock, {})
    assert result.exit is None
    assert result.disposition == "completed"
    assert result.events == []


def test_end_records_the_configured_disposition():
    assert run_block(EndBlock, {"disposition": "callback_requested"}).disposition == \
        "callback_requested"


def test_end_says_its_rendered_text_before_ending():
    result = run_block(EndBlock, {"text": "Goodbye, {{ vars.name }}.", "disposition": "resolved"},
                       vars={"name": "Ada"}, block_id="goodbye")
    assert result.events == [{"event": "say", "block": "goodbye", "text": "Goodbye, Ada."}]
    assert result.disposition == "resolved"


def test_end_can_deliver_a_named_response_before_ending():
    result = run_block(EndBlock, {"response": "bank/goodbye"})
    assert result.events == [{"event": "say", "block": "block", "response": "bank/goodbye"}]
    assert result.disposition == "completed"


def test_a_broken_last_text_takes_the_error_exit():
    result = run_block(EndBlock, {"text": "Bye {{ vars.name "})
    assert result.exit == "error" and result.disposition is None


def test_end_has_no_exit_but_error():
    assert EndBlock.exits_for({}) == ["error"]


@pytest.mark.parametrize("config", [
    {}, {"disposition": "completed"}, {"disposition": "no_answer_2"}, {"text": "Bye."},
    {"response": "bank/goodbye", "disposition": "resolved"}])
def test_end_schema_accepts_good_configs(config):
    assert list(VALIDATOR.iter_errors(config)) == []


@pytest.mark.parametrize("config", [
    {"disposition": "Completed"},
    {"disposition": "2nd_try"},
    {"disposition": "all done"},
    {"disposition": ""},
    {"disposition": 1},
    {"text": ""},
    {"text": "Bye.", "response": "bank/goodbye"},
    {"exit": "next"},
])
def test_end_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_end_manifest_documents_every_field_and_defaults_to_completed():
    schema = EndBlock.manifest["config_schema"]
    assert schema["properties"]["disposition"]["default"] == "completed"
    for name, field in schema["properties"].items():
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_end_manifest():
    registry = Registry()
    assert registry.register(EndBlock) is not None
    assert not registry.broken
