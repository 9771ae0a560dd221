"""runtime.bots.bot: a bot compiled once per version classifies messages in English and Russian."""

from __future__ import annotations

import pytest

from runtime.bots import InvalidBot, bot_version, compile_bot


def classify(doc: dict, text: str, language: str | None = None):
    return compile_bot(doc).classify(text, language)


@pytest.mark.parametrize("text, intent", [
    ("what is my balance", "balance"),
    ("WHAT IS MY BALANCE?!", "balance"),
    ("how much money have I got", "balance"),
    ("I've lost my card", "card_block"),
    ("send some money to a friend", "transfer"),
    ("сколько денег на счету", "balance"),
    ("Сколько денег на счёте?", "balance"),
    ("потеряла карту", "card_block"),
    ("перевод денег другу", "transfer"),
])
def test_paraphrases_and_inflected_forms_find_their_intent(bank, text, intent):
    result = classify(bank, text)
    assert (result.intent, result.confidence >= 0.5) == (intent, True), result


@pytest.mark.parametrize("text, intent", [
    ("whats my balanse", "balance"),
    ("blok my crad", "card_block"),
    ("trasnfer mony", "transfer"),
    ("сколко денег на счете", "balance"),
    ("заблакировать карту", "card_block"),
])
def test_typos_still_find_their_intent(bank, text, intent):
    result = classify(bank, text)
    assert result.intent == intent and result.confidence >= 0.5, result


def test_a_keyword_alone_is_enough(bank):
    assert classify(bank, "balance").intent == "balance"
    assert classify(bank, "остаток?").intent == "balance"
    assert classify(bank, "stolen").confidence >= 0.5


def test_an_example_said_exactly_is_sure(bank):
    result = classify(bank, "Когда вы работаете?")
    assert (result.intent, result.confidence) == ("opening_hours", 1.0)


@pytest.mark.parametrize("text", ["what's the weather like", "tell me a joke about cats",
                                  "какая погода завтра", "я люблю черепах"])
def test_out_of_scope_messages_stay_under_the_default_threshold(bank, text):
    assert classify(bank, text).confidence < 0.5


def test_the_result_carries_the_response_language_and_entities(bank):
    result = classify(bank, "when are you open")
    assert (result.intent, result.response, result.language) == ("opening_hours",
                                                                 "bank/opening_hours", "en")
    result = classify(bank, "переведите 500 на счёт 12345678 с кредитки")
    assert result.language == "ru"
    assert result.entities == {"account": "12345678", "amount": 500, "card": "credit"}


def test_the_bots_threshold_comes_with_the_result(bank):
    bank["min_confidence"] = 0.7
    assert classify(bank, "balance").min_confidence == 0.7


def test_an_empty_message_has_no_intent(bank):
    for text in ("", "   ", "?!", "…"):
        result = classify(bank, text)
        assert (result.intent, result.confidence) == (None, 0.0)


def test_a_100_kb_message_is_capped_and_answered(bank):
    result = classify(bank, "what is my balance " + "x" * 100_000)
    assert len(result.text) == 1000
    assert result.intent == "balance"
    result = classify(bank, "а" * 100_000)
    assert result.confidence < 0.5


def test_digits_alone_carry_entities_in_the_sessions_language(bank):
    result = classify(bank, "12345678", "ru-RU")
    assert (result.intent, result.language, result.entities) == (None, "ru",
                                                                 {"account": "12345678",
                                                                  "amount": 12345678})


def test_a_message_in_an_undeclared_language_is_no_intent_of_the_bot(bank):
    bank["languages"] = ["en"]
    for intent in bank["intents"].values():
        intent["examples"].pop("ru")
        intent.get("keywords", {}).pop("ru", None)
    result = classify(bank, "какой у меня баланс")
    assert (result.intent, result.confidence, result.language, result.declared) == (
        None, 0.0, "ru", False)


def test_a_version_is_compiled_once_and_reused(bank):
    first = compile_bot(bank)
    assert compile_bot(dict(reversed(list(bank.items())))) is first  # same content, same bot
    bank["intents"]["balance"]["examples"]["en"].append("show my balance")
    second = compile_bot(bank)
    assert second is not first and second.version != first.version
    assert second.version == bot_version(bank)


def test_a_bot_with_errors_does_not_compile(bank):
    bank["languages"] = []
    with pytest.raises(InvalidBot) as raised:
        compile_bot(bank)
    assert [p.pointer for p in raised.value.problems] == ["/languages"]
