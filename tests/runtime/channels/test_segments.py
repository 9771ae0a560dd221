"""SMS segments: GSM-7 or UCS-2, 160/153 and 70/67, and parts that never cut a character."""

from __future__ import annotations

import pytest

from runtime.channels.segments import (GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, encoding_of,
                                        segment)


def test_the_gsm7_alphabet_is_the_128_positions_less_the_escape_and_ten_extension_characters():
    assert len(GSM7_BASIC) == 127 and "\x1b" not in GSM7_BASIC
    assert GSM7_EXTENSION == frozenset("\f^{}\\[~]|€")
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize("text, encoding", [
    ("Your code is 4711.", GSM7),
    ("Grüße aus Köln, 5€ [Rabatt] {heute}", GSM7),  # umlauts are basic, € [ ] { } extension
    ("ΔΦΓΛΩΠΨΣΘΞ @£$¥ èéùìòÇ ¿¡", GSM7),
    ("Ваш код 4711", UCS2),
    ("Thanks 👍", UCS2),
    ("ç is not in GSM-7 (only Ç is)", UCS2),
    ("a tab\tis not either", UCS2),
    ("", GSM7),
])
def test_a_text_goes_as_gsm7_only_when_every_character_is_in_the_alphabet(text, encoding):
    assert encoding_of(text) == encoding


@pytest.mark.parametrize("text, count", [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("€" * 80, 1),  # 160 septets
    ("€" * 80 + "a", 2),  # 161 septets
    ("я" * 70, 1),
    ("я" * 71, 2),
    ("я" * 134, 2),
    ("я" * 135, 3),
    ("😀" * 35, 1),  # 70 UTF-16 units
    ("😀" * 34 + "я" * 3, 2),  # 71 units
])
def test_the_count_follows_160_153_for_gsm7_and_70_67_for_ucs2(text, count):
    assert segment(text).count == count


def test_an_extension_character_takes_two_septets_and_is_never_split_from_its_escape():
    # 152 septets, then € (2): the part would be 154, so € opens the second part
    result = segment("a" * 152 + "€" + "b" * 10)
    assert result.encoding == GSM7 and result.units == 164
    assert result.parts == ("a" * 152, "€" + "b" * 10)


def test_a_single_cyrillic_letter_makes_the_whole_text_ucs2():
    text = "a" * 100 + "я"
    result = segment(text)
    assert (result.encoding, result.count, result.units) == (UCS2, 2, 101)
    assert [len(part) for part in result.parts] == [67, 34]


def test_an_emoji_counts_two_units_and_is_never_split_across_segments():
    # 66 units, then an emoji (2): it would end at 68 > 67, so it opens the second part
    text = "я" * 66 + "😀" + "я" * 10
    result = segment(text)
    assert result.units == 78 and result.count == 2
    assert result.parts == ("я" * 66, "😀" + "я" * 10)
    assert "".join(result.parts) == text


def test_an_emoji_at_the_single_message_boundary():
    assert segment("я" * 68 + "😀").count == 1  # exactly 70 units
    assert segment("я" * 69 + "😀").count == 2  # 71 units


def test_a_flag_a_skin_tone_and_a_joined_family_stay_whole():
    flag, thumb, family = "🇩🇪", "👍🏽", "👨\u200d👩\u200d👧"
    for symbol in (flag, thumb, family):
        text = "я" * 65 + symbol + "я" * 5
        parts = segment(text).parts
        assert parts[0] == "я" * 65 and parts[1].startswith(symbol), symbol


def test_accents_written_as_combining_marks_stay_with_their_letter():
    text = "я" * 66 + "e\u0301" + "x" * 5
    assert segment(text).parts == ("я" * 66, "e\u0301xxxxx")


def test_parts_join_back_to_the_text_and_none_is_over_its_size():
    text = ("Привет! 👋 " * 40) + "🇷🇺" * 10
    result = segment(text)
    assert "".join(result.parts) == text
    assert all(sum(2 if ord(ch) > 0xFFFF else 1 for ch in part) <= 67 for part in result.parts)


def test_mixed_texts_at_the_boundaries():
    gsm = "Hello [you] " * 13  # 12 chars + 2 extension each: 14 septets, 182 in all
    assert segment(gsm).encoding == GSM7 and segment(gsm).units == 182
    assert segment(gsm).count == 2
    mixed = gsm + "ё"
    assert segment(mixed).encoding == UCS2 and segment(mixed).units == 157
    assert segment(mixed).count == 3  # 67 + 67 + 23


def test_a_symbol_longer_than_a_part_is_split_by_characters():
    text = "e" + "\u0301" * 100  # an absurd stack of accents: 101 units
    result = segment(text)
    assert result.count == 2 and "".join(result.parts) == text
