"""The `say` block: one text, response or audio prompt, then `next`."""

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.say import SayBlock
from blocks.registry import Registry
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(SayBlock.manifest["config_schema"])


def test_say_text_emits_the_rendered_template_and_takes_next():
    result = run_block(SayBlock, {"text": "Hello {{ vars.name }}."}, vars={"name": "Ada"},
                       block_id="welcome")
    assert result.exit == "next"
    assert result.events == [{"event": "say", "block": "welcome", "text": "Hello Ada."}]


def test_say_response_emits_the_response_reference_for_the_channel_to_render():
    result = run_block(SayBlock, {"response": "bank/opening_hours"})
    assert result.exit == "next"
    assert result.events == [{"event": "say", "block": "block", "response": "bank/opening_hours"}]


def test_say_audio_emits_the_prompt_name():
    result = run_block(SayBlock, {"audio": "welcome_en"}, channel="voice")
    assert result.exit == "next"
    assert result.events == [{"event": "say", "block": "block", "audio": "welcome_en"}]


def test_say_with_a_broken_template_takes_the_error_exit():
    result = run_block(SayBlock, {"text": "Hello {{ vars.name "})
    assert result.exit == "error"
    assert "template" in result.error
    assert result.events == []


def test_say_exits_are_next_and_error():
    assert SayBlock.exits_for({"text": "hi"}) == ["next", "error"]


@pytest.mark.parametrize("config", [
    {"text": "hi"}, {"response": "bank/opening_hours"}, {"audio": "welcome_en"},
    {"audio": "greetings/welcome_en"},
])
def test_say_schema_accepts_exactly_one_source(config):
    assert list(VALIDATOR.iter_errors(config)) == []


@pytest.mark.parametrize("config", [
    {},
    {"text": "hi", "audio": "welcome_en"},
    {"text": "hi", "response": "bank/hours"},
    {"response": "bank/hours", "audio": "welcome_en"},
    {"text": 5},
    {"text": ""},
    {"response": "no-slash"},
    {"response": "a/b/c"},
    {"audio": "../etc/passwd"},
    {"audio": "greetings/../../secret"},
    {"text": "hi", "voice": "alice"},
])
def test_say_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_say_manifest_documents_every_field():
    schema = SayBlock.manifest["config_schema"]
    assert schema["additionalProperties"] is False
    for name, field in schema["properties"].items():
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_say_manifest():
    registry = Registry()
    assert registry.register(SayBlock) is not None
    assert not registry.broken
    assert registry.resolve("say").cls is SayBlock


def test_a_response_the_host_resolves_is_said_with_its_text_rendered():
    result = run_block(SayBlock, {"response": "bank/hello"}, vars={"name": "Ada"},
                       responses={"bank/hello": {"text": "Hello {{ vars.name }}.",
                                                 "quick_replies": ["Balance"]}})
    assert result.of("say") == [{"event": "say", "block": "block", "response": "bank/hello",
                                 "text": "Hello Ada.", "quick_replies": ["Balance"]}]


def test_a_response_the_host_lacks_takes_the_error_exit():
    result = run_block(SayBlock, {"response": "bank/gone"}, responses={})
    assert result.exit == "error" and "bank/gone" in result.error
