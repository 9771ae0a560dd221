"""runtime.responses: a named response's variant for a channel and a language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.responses import ResponseLibrary, UnknownResponse, choose

HOURS = {"text": "We are open 8 to 20 on weekdays.",
         "variants": [{"language": "ru", "text": "Мы работаем по будням с 8 до 20."},
                      {"channel": "voice", "language": "en", "audio": "hours_en"},
                      {"channel": "sms", "text": "Acme Bank: Mon-Fri 8-20."},
                      {"channel": "chat", "text": "Mon–Fri, 8:00–20:00.",
                       "quick_replies": ["Balance", "Agent"]},
                      {"channel": "email", "subject": "Our opening hours", "text": "...",
                       "html": "<p>...</p>"}]}
SET = {"schema": "callwright/responses@1", "id": "bank", "responses": {"opening_hours": HOURS}}


@pytest.mark.parametrize("channel, language, expected", [
    ("voice", "en-US", {"audio": "hours_en"}),  # channel and language
    ("voice", "ru-RU", {"text": "Мы работаем по будням с 8 до 20."}),  # language before channel
    ("sms", "ru", {"text": "Мы работаем по будням с 8 до 20."}),
    ("sms", "en", {"text": "Acme Bank: Mon-Fri 8-20."}),  # then the channel
    ("chat", "de", {"text": "Mon–Fri, 8:00–20:00.", "quick_replies": ["Balance", "Agent"]}),
    ("email", "en", {"subject": "Our opening hours", "text": "...", "html": "<p>...</p>"}),
    ("webhook", "en", {"text": "We are open 8 to 20 on weekdays."}),  # then its own fields
])
def test_the_most_specific_variant_wins_language_before_channel(channel, language, expected):
    assert choose(HOURS, channel, language) == expected


def test_a_text_medium_passes_by_variants_without_a_text():
    only_audio = {"text": "Hi.", "variants": [{"language": "en", "audio": "hi"}]}
    assert choose(only_audio, "sms", "en", needs_text=True) == {"text": "Hi."}
    assert choose(only_audio, "voice", "en") == {"audio": "hi"}


def test_a_library_names_what_is_missing():
    library = ResponseLibrary({"bank": SET})
    assert library.content("bank/opening_hours", "sms", "en") == {
        "text": "Acme Bank: Mon-Fri 8-20."}
    with pytest.raises(UnknownResponse, match="no responses set 'shop'"):
        library.content("shop/opening_hours", "sms", "en")
    with pytest.raises(UnknownResponse, match="set 'bank' has no response 'closing'"):
        library.content("bank/closing", "sms", "en")
    with pytest.raises(UnknownResponse, match="is not set/name"):
        library.content("opening_hours", "sms", "en")


def test_loading_a_folder_leaves_a_broken_set_out_with_its_problems(tmp_path: Path):
    (tmp_path / "bank.json").write_text(json.dumps(SET), "utf-8")
    (tmp_path / "shop.json").write_text(json.dumps(
        {**SET, "id": "shop", "responses": {"r": {"variants": []}}}), "utf-8")
    library, refused = ResponseLibrary.load(tmp_path)
    assert set(library.sets) == {"bank"}
    [problem] = refused[str(tmp_path / "shop.json")]
    assert problem.pointer == "/responses/r" and problem.line is not None
