"""Reading JSON request bodies: every JSON text Python's json reads, read the same way."""

from __future__ import annotations

import math

import pytest

from builder.api.body import parse_body
from builder.errors import BadRequest


@pytest.mark.parametrize("data, expected", [
    (b'{"text": "hello", "n": 1.5}', {"text": "hello", "n": 1.5}),
    (b'{"big": 1180591620717411303425}', {"big": 2 ** 70 + 1}),  # past 64 bits, exact
    (b'[18446744073709551616, -9223372036854775809]', [2 ** 64, -2 ** 63 - 1]),
    (b'[18446744073709551615, -9223372036854775808]', [2 ** 64 - 1, -2 ** 63]),
    ('{"text": "caf\u00e9"}'.encode("utf-16"), {"text": "caf\u00e9"}),  # json detects UTF-16
    (b'{"text": "\\ud800"}', {"text": "\ud800"}),  # a lone surrogate, as json reads it
    (b'{"a": 1, "a": 2}', {"a": 2}),
])
def test_a_body_is_read_as_json_reads_it(data: bytes, expected) -> None:
    assert parse_body(data) == expected


def test_nan_is_read_as_json_reads_it() -> None:
    assert math.isnan(parse_body(b'{"x": NaN}')["x"])


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(BadRequest, match=r"line 2, column 8") as caught:
        parse_body(b'{"text":\n  "hi",}')
    assert caught.value.details[0]["line"] == 2


def test_bytes_that_are_not_utf8_are_named_as_such() -> None:
    with pytest.raises(BadRequest, match="not UTF-8 text"):
        parse_body(b'{"text": "\xff"}')
