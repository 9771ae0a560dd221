"""PocketSphinx hears 8 kHz speech against a grammar, rejects what is not in it, and says what
to install or configure when it cannot."""

from __future__ import annotations

import numpy as np
import pytest
from needs import program

from runtime.speech import Grammar, SpeechUnavailable, recognizer_for
from runtime.speech.endpoint import utterance_in
from runtime.speech.grammar import phrases_of
from runtime.speech.pocketsphinx import UNEXPLAINED_FREE, PocketSphinx

MENU = Grammar("en", phrases_of(["Balance", "my balance", "Lost card", "stolen card", "Agent",
                                 "operator", "human"]))
SAY_OR_PRESS = Grammar("en", phrases_of([
    "Balance", "my balance", "what is my balance", "account balance", "Lost card", "I lost my card",
    "block my card", "my card was stolen", "stolen card", "Opening hours", "when are you open",
    "hours", "Agent", "operator", "human", "talk to a human"]))
TOPICS = Grammar("en", phrases_of(["Balance", "my balance", "money", "Opening hours", "hours",
                                   "open", "Agent", "human", "operator"]))


@pytest.fixture(scope="module")
def say():
    program("espeak-ng", "espeak-ng")
    from runtime.media import TextToSpeech

    speech = TextToSpeech()
    return lambda text: utterance_in(speech.speak_sync(text, "en").pcm)


@pytest.fixture(scope="module")
def say_in():
    program("espeak-ng", "espeak-ng")
    from runtime.media import TextToSpeech

    def say_in(voice: str, text: str) -> bytes:
        language = voice.split("-")[0]  # en-gb, ru
        return utterance_in(TextToSpeech(voices={language: voice}).speak_sync(text, language).pcm)

    return say_in


@pytest.fixture(scope="module")
def recognizer() -> PocketSphinx:
    return PocketSphinx(workers=1)


@pytest.mark.parametrize("text, option", [("stolen card", "stolen card"),
                                          ("operator", "operator"), ("my balance", "my balance")])
def test_a_phrase_of_the_grammar_is_heard_and_accepted(recognizer, say, text, option):
    heard = recognizer.recognize(say(text), MENU)
    assert heard.text == option and heard.accepted(recognizer.threshold), heard


@pytest.mark.parametrize("text", ["what time is it", "hello"])
def test_speech_outside_the_grammar_is_not_accepted(recognizer, say, text):
    assert not recognizer.recognize(say(text), MENU).accepted(recognizer.threshold)


def test_a_phrase_is_heard_when_the_best_path_stopped_inside_a_longer_one(recognizer, say):
    # its best path at the last frame ends inside another phrase, not on a whole one
    heard = recognizer.recognize(say("block my card"), SAY_OR_PRESS)
    assert heard.text == "block my card" and heard.accepted(recognizer.threshold), heard


def test_a_british_speaker_who_drops_the_r_is_heard(recognizer, say_in):
    heard = recognizer.recognize(say_in("en-gb", "hours"), SAY_OR_PRESS)
    assert heard.text == "hours" and heard.accepted(recognizer.threshold), heard


def test_a_sentence_that_merely_contains_a_phrase_is_not_accepted(recognizer, say_in):
    for voice in ("en-us", "en-gb"):
        found = recognizer.scored(say_in(voice, "I would like to open an account"), TOPICS)
        # some phrase fits a part of it, and leaves too much of the speech to silence
        assert found.text and found.unexplained > UNEXPLAINED_FREE, found
        assert found.confidence() < recognizer.threshold


def test_noise_is_not_accepted_and_digits_are_heard(recognizer, say):
    noise = np.random.default_rng(3).normal(0, 5000, 12000).astype("<i2").tobytes()
    assert recognizer.recognize(noise, MENU).text == ""
    assert recognizer.recognize(say("four two"), Grammar("en", digits=True)).text == "42"


def test_a_grammar_is_compiled_once_per_decoder_and_reused(recognizer, say):
    audio = say("operator")
    recognizer.recognize(audio, MENU)
    [decoder] = list(recognizer._idle.queue)
    searches = dict(decoder.searches)
    recognizer.recognize(audio, MENU)
    assert dict(decoder.searches) == searches and recognizer._made == 1


def test_phrases_with_words_the_dictionary_lacks_are_left_out(recognizer, say):
    grammar = Grammar("en", phrases_of(["zzqxv blorf", "operator"]))
    assert recognizer.recognize(say("operator"), grammar).text == "operator"
    assert recognizer.recognize(say("operator"), Grammar("en", phrases_of(["zzqxv"]))).text == ""


def test_a_language_without_a_model_names_what_to_install():
    with pytest.raises(SpeechUnavailable) as raised:
        recognizer_for({}, "ru-RU")
    assert "[speech.models.ru]" in str(raised.value) and "only US English" in str(raised.value)


def test_a_configured_model_that_is_missing_names_its_path(tmp_path):
    settings = {"speech": {"models": {"ru": {"model": "models/ru", "dictionary": "ru.dic"}}}}
    with pytest.raises(SpeechUnavailable) as raised:
        recognizer_for(settings, "ru", tmp_path)
    assert str(tmp_path / "models" / "ru") in str(raised.value)


def test_a_configured_model_hears_its_language_with_its_dictionary(tmp_path, say_in):
    """Any language is configuration: here the wheel's acoustic model with a Russian dictionary
    of US phones (a real Russian model is configured the same way), Cyrillic words and digits."""
    from runtime.speech.pocketsphinx import wheel_model

    model, _ = wheel_model()
    (tmp_path / "ru.dic").write_text(
        "оператор AH P IY R AA T AH R\nкогда K AH G D AA\nвы V IH\nоткрыты AH T K R IH T IH\n"
        "два D V AA\nпять P Y AA T\n", encoding="utf-8")
    settings = {"speech": {"models": {"ru": {"model": str(model), "dictionary": "ru.dic"}}}}
    russian = recognizer_for(settings, "ru", tmp_path)
    menu = Grammar("ru", phrases_of(["Оператор", "Когда вы открыты"]))
    for text in ("оператор", "когда вы открыты"):
        heard = russian.recognize(say_in("ru", text), menu)
        assert heard.text.casefold() == text and heard.accepted(russian.threshold), heard
    assert russian.recognize(say_in("ru", "два пять"), Grammar("ru", digits=True)).text == "25"
