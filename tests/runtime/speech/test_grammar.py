"""Grammars: what a waiting block accepts, said aloud, and back to what the flow wrote."""

from __future__ import annotations

from types import SimpleNamespace

from runtime.speech import Grammar, grammar_for
from runtime.speech.grammar import spoken

BOT = SimpleNamespace(doc={"languages": ["en", "ru"], "intents": {
    "balance": {"examples": {"en": ["What is my balance?"], "ru": ["какой у меня баланс"]},
                "keywords": {"en": ["balance"], "ru": ["остаток"]}}}})


def test_a_phrase_is_heard_as_lower_case_words():
    assert spoken("  Opening hours, please! ") == "opening hours please"
    assert spoken("Счёт") == "счет"


def test_a_menu_takes_labels_and_synonyms_and_gives_back_the_flows_text():
    ask = {"kind": "choice", "choices": [
        {"key": "1", "label": "Opening hours"},
        {"key": "0", "label": "Agent", "synonyms": ["Operator"]}]}
    grammar = grammar_for(ask, None, "en-US")
    assert set(grammar.phrases) == {"opening hours", "agent", "operator"}
    assert grammar.text_of("opening hours") == "Opening hours"
    assert grammar.text_of("operator") == "Operator"
    assert grammar.text_of("weather") == ""


def test_digits_are_spoken_digits():
    grammar = grammar_for({"kind": "digits", "max_length": 8}, None, "en")
    assert grammar.digits and grammar.text_of("one two oh nine") == "1209"
    assert grammar.text_of("one banana") == ""


def test_a_bot_gives_its_examples_and_keywords_in_the_sessions_language():
    bots = {"bank": BOT}.get
    english = grammar_for({"kind": "text", "bot": "bank"}, bots, "en")
    assert english.text_of("what is my balance") == "What is my balance?"
    assert set(grammar_for({"kind": "text", "bot": "bank"}, bots, "ru").phrases) == {
        "какой у меня баланс", "остаток"}
    # an undeclared language falls back to the bot's first
    assert grammar_for({"kind": "text", "bot": "bank"}, bots, "de").language == "en"


def test_free_text_and_unknown_bots_take_keys_only():
    assert grammar_for({"kind": "text"}, None, "en") is None
    assert grammar_for({"kind": "text", "bot": "nope"}, {}.get, "en") is None


def test_equal_grammars_share_a_key():
    assert Grammar("en", {"a": "A"}).key == Grammar("en", {"a": "a"}).key
    assert Grammar("en", {"a": "A"}).key != Grammar("en", {"b": "B"}).key
