"""The `bot` block: a message's intent takes its exit, an auto-response is said, else fallback."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.bot import BotBlock
from blocks.sdk import Classification
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(BotBlock.manifest["config_schema"])
# what the scripted bot answers, by message
ANSWERS = {
    "what is my balance": Classification("balance", 0.92, "what is my balance", "en",
                                         {"account": "12345678"}),
    "when are you open": Classification("opening_hours", 0.9, "when are you open", "en",
                                        response="bank/opening_hours"),
    "какой баланс": Classification("balance", 0.88, "какой баланс", "ru"),
    "hmm": Classification("balance", 0.3, "hmm", "en"),
    "привет по-немецки": Classification(None, 0.0, "x", "de", declared=False),
}


def bank(bot: str, text: str, language: str | None) -> Classification:
    """A scripted bank bot; anything it was not told is not understood."""
    assert bot == "bank"
    return ANSWERS.get(text, Classification(None, 0.0, text, None))


def run(config: dict, **options):
    return run_block(BotBlock, {"bot": "bank", **config}, classify=bank, **options)


def test_the_trigger_text_is_classified_and_its_intent_taken_with_the_result_stored():
    result = run({}, trigger={"channel": "chat", "text": "what is my balance"})
    assert result.exit == "balance"
    assert result.vars["bot"] == {"intent": "balance", "confidence": 0.92,
                                  "entities": {"account": "12345678"},
                                  "text": "what is my balance", "language": "en"}


def test_the_input_template_and_the_variable_can_be_chosen():
    result = run({"input": "{{ vars.q }}", "variable": "vars.nlu"}, vars={"q": "какой баланс"})
    assert result.exit == "balance" and result.vars["nlu"]["language"] == "ru"


def test_an_auto_response_intent_is_said_by_reference_and_takes_answered():
    result = run({"input": "when are you open"})
    assert result.exit == "answered"
    assert result.of("say") == [{"event": "say", "block": "block",
                                 "response": "bank/opening_hours"}]


def test_below_the_bots_threshold_the_block_takes_fallback_and_stores_no_intent():
    result = run({"input": "hmm"})
    assert result.exit == "fallback"
    assert result.vars["bot"]["intent"] is None and result.vars["bot"]["confidence"] == 0.3


def test_the_blocks_own_threshold_wins_over_the_bots():
    assert run({"input": "hmm", "min_confidence": 0.2}).exit == "balance"
    assert run({"input": "what is my balance", "min_confidence": 0.95}).exit == "fallback"


def test_an_empty_input_or_no_trigger_takes_fallback():
    assert run({"input": ""}).exit == "fallback"
    assert run({}).exit == "fallback"


def test_a_message_in_a_language_the_bot_does_not_declare_takes_fallback():
    result = run({"input": "привет по-немецки"})
    assert result.exit == "fallback"
    assert "language" not in result.contact  # an undeclared language is not the contact's


def test_the_detected_language_becomes_the_contacts_unless_the_flow_set_one():
    assert run({"input": "какой баланс"}).contact["language"] == "ru"
    assert run({"input": "какой баланс"}, contact={"language": "en-GB"}).contact["language"] \
        == "en-GB"


def test_a_language_the_bot_detected_before_follows_the_customer_switching():
    before = {"bot": {"intent": "balance", "language": "en"}}
    switched = run({"input": "какой баланс"}, vars=before, contact={"language": "en"})
    assert switched.contact["language"] == "ru"
    kept = run({"input": "какой баланс"}, vars=before, contact={"language": "en-GB"})
    assert kept.contact["language"] == "en-GB"  # the flow's choice, not the bot's


def test_an_unknown_bot_takes_the_error_exit():
    result = run_block(BotBlock, {"bot": "shop", "input": "x"}, classify=lambda b, t, l: (
        _ for _ in ()).throw(LookupError(f"no bot {b!r}")))
    assert result.exit == "error" and "shop" in result.error


# --- with a prompt it asks like a menu --------------------------------------------------------
ASKING = {"prompt": "How can I help?", "max_attempts": 2, "timeout_s": 7,
          "nomatch_prompt": "Sorry, could you say that another way?"}


def test_with_a_prompt_it_asks_and_classifies_the_answer():
    result = run(ASKING, inputs=["what is my balance"])
    assert result.exit == "balance"
    assert result.of("ask")[0] == {"event": "ask", "block": "block", "prompt": "How can I help?",
                                   "kind": "text", "timeout_s": 7}


def test_a_message_not_understood_is_asked_again_then_fallback():
    result = run(ASKING, inputs=["hmm", "blah"])
    assert result.exit == "fallback"
    assert [e["text"] for e in result.of("say")] == [ASKING["nomatch_prompt"]] * 2
    assert len(result.of("ask")) == 2


def test_a_second_attempt_can_succeed_and_silence_counts_as_an_attempt():
    assert run(ASKING, inputs=["hmm", "when are you open"]).exit == "answered"
    assert run(ASKING, inputs=[None, "what is my balance"]).exit == "balance"


def test_in_chat_it_waits_across_turns_and_resumes_with_the_answer():
    first = run(ASKING, suspend=True)
    assert first.waiting and first.of("ask")
    second = run(ASKING, state=first.state, resume="what is my balance")
    assert second.exit == "balance" and second.of("ask") == []


# --- the manifest ---------------------------------------------------------------------------------
def test_the_exits_are_answered_fallback_and_the_bots_intents():
    assert BotBlock.exits_for({"bot": "bank"}) == ["answered", "fallback", "error"]
    assert BotBlock.manifest["intent_exits"] == "bot"


@pytest.mark.parametrize("config", [{}, {"bot": "bad id!"}, {"bot": "bank", "min_confidence": 2},
                                    {"bot": "bank", "variable": "bot"},
                                    {"bot": "bank", "surprise": 1}])
def test_a_bad_config_is_refused_by_the_schema(config):
    assert list(VALIDATOR.iter_errors(config))


def test_a_sound_config_passes_the_schema():
    assert list(VALIDATOR.iter_errors({"bot": "bank", **ASKING, "min_confidence": 0.6,
                                       "variable": "vars.nlu"})) == []
