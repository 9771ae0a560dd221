"""The hot path's JSON writer says what the standard library would, compactly, in UTF-8."""

from __future__ import annotations

import json
from datetime import date

from runtime.jsontext import dump_bytes, dump_text


def test_it_writes_compact_json_with_non_ascii_characters_as_themselves() -> None:
    value = {"text": "Grüß dich, Привет", "n": [1, 2.5, None, True], "nested": {"a": ""}}
    assert dump_text(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert dump_bytes(value) == dump_text(value).encode()


def test_integers_beyond_64_bits_stay_exact() -> None:
    assert json.loads(dump_text({"big": 2**70})) == {"big": 2**70}


def test_non_string_keys_are_written_as_json_writes_them() -> None:
    assert dump_text({1: "one", None: "none"}) == '{"1":"one","null":"none"}'


def test_values_json_does_not_have_are_handed_to_default() -> None:
    assert dump_text({"day": date(2026, 11, 22)}, default=str) == '{"day":"2026-11-22"}'


def test_nan_which_json_does_not_have_is_written_as_null() -> None:
    assert dump_text([float("nan"), float("inf")]) == "[null,null]"
