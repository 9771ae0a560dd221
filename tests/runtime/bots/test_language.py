"""runtime.bots.language: a message's language among a bot's, by script then by words."""

from runtime.bots.language import detect
from runtime.bots.text import read


def vocabulary(language: str) -> frozenset[str]:
    return {"en": frozenset({"balance", "card"}), "de": frozenset({"konto", "karte"}),
            "ru": frozenset({"баланс"})}[language]


def test_cyrillic_is_russian_and_latin_english_for_a_bilingual_bot():
    assert detect(read("Какой баланс?"), ["en", "ru"], vocabulary) == ("ru", True)
    assert detect(read("my balance"), ["en", "ru"], vocabulary) == ("en", True)


def test_a_russian_message_with_latin_acronyms_is_russian_and_an_english_one_with_a_name_english():
    assert detect(read("PIN-код"), ["en", "ru"], vocabulary) == ("ru", True)
    assert detect(read("не пришла SMS с кодом"), ["en", "ru"], vocabulary) == ("ru", True)
    assert detect(read("I paid at Магнит with my card"), ["en", "ru"], vocabulary) == ("en", True)


def test_words_decide_between_languages_of_one_script():
    assert detect(read("meine Karte"), ["en", "de"], vocabulary) == ("de", True)
    assert detect(read("my card"), ["en", "de"], vocabulary) == ("en", True)
    assert detect(read("hola"), ["en", "de"], vocabulary) == ("en", True)  # a tie: the first


def test_a_script_the_bot_does_not_declare_is_an_undeclared_language():
    assert detect(read("какой баланс"), ["en"], vocabulary) == ("ru", False)
    assert detect(read("my balance"), ["ru"], vocabulary) == ("en", False)


def test_a_message_without_letters_takes_the_sessions_language_if_the_bot_has_it():
    assert detect(read("12345678"), ["en", "ru"], vocabulary, "ru-RU") == ("ru", True)
    assert detect(read("12345678"), ["en", "ru"], vocabulary, "de") == (None, True)
    assert detect(read(""), ["en", "ru"], vocabulary) == (None, True)
