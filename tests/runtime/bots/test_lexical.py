"""runtime.bots.lexical: the lexical matcher behind the Matcher interface."""

from __future__ import annotations

import pytest

from runtime.bots import Candidate, LexicalMatcher, Matcher, Query, read
from runtime.bots.lexical import _correct


def match(doc: dict, text: str, language: str | None = "en") -> list[Candidate]:
    return LexicalMatcher(doc).match(Query(read(text), language))


def test_the_base_leaves_matching_to_its_subclasses(bank):
    with pytest.raises(NotImplementedError):
        Matcher(bank).match(Query(read("hi"), None))


def test_candidates_come_best_first_with_confidences_in_order_and_in_range(bank):
    candidates = match(bank, "I lost my card, can I still send money?")
    assert 1 <= len(candidates) <= 3
    assert [c.confidence for c in candidates] == sorted((c.confidence for c in candidates),
                                                       reverse=True)
    assert all(0.0 <= c.confidence <= 1.0 for c in candidates)


def test_a_language_limits_the_examples_matched_against(bank):
    assert match(bank, "какой у меня баланс", "ru")[0].intent == "balance"
    assert match(bank, "какой у меня баланс", "en") == [] or \
        match(bank, "какой у меня баланс", "en")[0].confidence < 0.5
    assert match(bank, "какой у меня баланс", None)[0].intent == "balance"


def test_a_language_the_bot_does_not_have_matches_nothing(bank):
    assert match(bank, "mein Kontostand", "de") == []


def test_a_typo_is_corrected_to_a_word_of_the_bot_only_one_edit_away(bank):
    assert match(bank, "blokc my card")[0].intent == "card_block"
    ru = LexicalMatcher(bank)._indexes["ru"]
    assert _correct(ru, ("заблакировать", "карту")) == ("заблокировать", "карту")
    # two edits away is another word, not a typo: "забронировать" is not "заблокировать"
    assert _correct(ru, ("забронировать", "столик")) == ("забронировать", "столик")
    # nor is a word of fewer than five letters: too many short words are one edit apart
    assert _correct(ru, ("карт",)) == ("карт",)


def test_a_keyword_phrase_counts_only_in_its_order(bank):
    bank["intents"]["transfer"]["keywords"] = {"en": ["money transfer"]}
    straight = match(bank, "money transfer")[0]
    reversed_ = match(bank, "transfer money money")[0]
    assert straight.intent == "transfer" and straight.confidence >= reversed_.confidence


def test_the_vocabulary_holds_the_words_of_examples_and_keywords(bank):
    matcher = LexicalMatcher(bank)
    assert {"balance", "stolen", "money"} <= matcher.vocabulary("en")
    assert "баланс" in matcher.vocabulary("ru")
    assert matcher.vocabulary("de") == frozenset()


def test_a_confidence_does_not_shrink_as_a_bot_grows(bank):
    before = match(bank, "what is my balance please")[0].confidence
    for n in range(40):
        bank["intents"][f"other_{n}"] = {"examples": {"en": [f"unrelated topic number {n}"]}}
    assert match(bank, "what is my balance please")[0].confidence == pytest.approx(before,
                                                                                   abs=0.1)


def test_a_keyword_matches_words_it_begins_when_the_stemmer_parts_them(bank):
    # Snowball stems `кредит` to `кред` but `кредиты` to `кредит`
    bank["intents"]["loan"] = {"examples": {"ru": ["нужен заём"]}, "keywords": {"ru": ["кредит"]}}
    [best, *_] = match(bank, "под какой процент кредиты", "ru")
    assert best.intent == "loan" and best.confidence >= 0.5


def test_two_keywords_of_one_intent_pull_it_up_once(bank):
    bank["intents"]["card_block"]["keywords"] = {"en": ["stolen", "lost"]}
    one = match(bank, "stolen")[0].confidence
    both = match(bank, "stolen lost")[0].confidence
    assert both < 1.0 and abs(both - one) < 0.3
