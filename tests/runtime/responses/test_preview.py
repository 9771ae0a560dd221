"""A response as each channel renders it, for the editor's preview."""

from __future__ import annotations

from runtime.responses.preview import preview

HOURS = {"text": "We are open 9 to 5.", "quick_replies": ["Branches", "Agent"],
         "variants": [{"language": "ru", "text": "Мы работаем с 9 до 17."},
                      {"channel": "voice", "audio": "hours"},
                      {"channel": "email", "subject": "Opening hours", "text": "9 to 5",
                       "html": "<p>9 to 5</p>"}]}


def test_each_channel_gets_its_variant_in_its_own_form():
    channels = preview(HOURS, "en")
    assert channels["voice"] == {"play": "hours"}
    assert channels["chat"] == {"text": "We are open 9 to 5.",
                                "quick_replies": ["Branches", "Agent"]}
    assert channels["sms"] == {"text": "We are open 9 to 5.", "encoding": "gsm7", "units": 19,
                               "segments": 1, "parts": ["We are open 9 to 5."]}
    assert channels["email"] == {"subject": "Opening hours", "text": "9 to 5",
                                 "html": "<p>9 to 5</p>"}


def test_the_language_s_variant_wins_and_cyrillic_sms_is_counted_as_ucs2():
    channels = preview({**HOURS, "variants": [{"language": "ru", "text": "Баланс " * 12}]}, "ru-RU")
    sms = channels["sms"]
    assert (sms["encoding"], sms["units"], sms["segments"]) == ("ucs2", 84, 2)
    assert [len(part) for part in sms["parts"]] == [67, 17]
    assert channels["voice"] == {"speak": "Баланс " * 12}
