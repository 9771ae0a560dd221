"""runtime.bots.text: normalisation, words, stems and scripts, alike for examples and messages."""

from runtime.bots.text import MAX_INPUT, normalise, read, script_of, stem


def test_normalising_folds_case_width_yo_and_punctuation():
    assert normalise("  Сколько  денег на СЧЁТЕ?!") == "сколько денег на счете"
    assert normalise("ＢＡＬＡＮＣＥ, please…") == "balance please"
    assert normalise("pin-code_#1") == "pin code 1"


def test_words_leave_digits_out_but_the_normal_text_keeps_them():
    text = read("Transfer 100 to 12345678")
    assert text.words == ("transfer", "to")
    assert text.normal == "transfer 100 to 12345678"


def test_a_long_message_is_capped():
    text = read("balance " * 20_000)
    assert len(text.raw) == MAX_INPUT
    assert len(text.words) <= MAX_INPUT // 2


def test_inflected_russian_forms_share_a_stem():
    assert stem("карту") == stem("карты") == stem("карта")
    assert stem("ипотеку") == stem("ипотека")


def test_english_forms_share_a_stem():
    assert stem("transfers") == stem("transfer") == stem("transferring")


def test_the_script_is_counted_by_words_and_cyrillic_wins_with_a_third_of_them():
    assert script_of("какой баланс") == "cyrillic"
    assert script_of("balance карты please") == "cyrillic"
    assert script_of("please show me the balance of my карты") == "latin"
    assert script_of("12345") is None
