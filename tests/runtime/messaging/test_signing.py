"""Webhook signatures: HMAC-SHA256 over "<t>.<raw body>", checked within 300 s, in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

import pytest

from runtime.errors import EngineError
from runtime.messaging.signing import SIGNATURE_HEADER, SignatureError, sign, verify
from runtime.tasks import signature

SECRET = "whsec-test-0123456789"
BODY = '{"from":"visitor-7","to":"support","text":"Привет"}'.encode()
NOW = 1_700_000_000
DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def test_the_signature_is_the_hex_hmac_of_the_timestamp_a_dot_and_the_raw_body():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_without_a_timestamp_the_signature_is_made_now():
    stamp = int(re.match(r"t=(\d+),", sign(SECRET, BODY))[1])
    assert abs(stamp - time.time()) < 5


def test_the_senders_signature_is_the_same_function():
    assert signature(SECRET, BODY, NOW) == sign(SECRET, BODY, NOW)
    assert SIGNATURE_HEADER == "X-Callwright-Signature"


def test_a_fresh_signature_of_the_same_body_verifies():
    verify(SECRET, sign(SECRET, BODY, NOW), BODY, now=NOW + 299)
    verify(SECRET, sign(SECRET, BODY, NOW), BODY, now=NOW - 299)


@pytest.mark.parametrize("header, message", [
    (None, "has no X-Callwright-Signature header"),
    ("", "has no X-Callwright-Signature header"),
    ("v1=abc", "malformed"),
    (f"t={NOW}", "needs both t and v1"),
    (f"t=soon,v1={'0' * 64}", "whole unix seconds"),
    (f"t={NOW},t={NOW},v1={'0' * 64}", "t must appear once"),
    (f"t={NOW},v1=XYZ", "64 lower-case hex digits"),
    (f"t {NOW},v1={'0' * 64}", "is not name=value"),
    ("sha256=deadbeef", "malformed"),
])
def test_a_missing_or_malformed_header_is_refused_saying_what_is_wrong(header, message):
    with pytest.raises(SignatureError, match=message):
        verify(SECRET, header, BODY, now=NOW)


MAC = "0" * 64


@pytest.mark.parametrize("header, message", [
    (f"t={'1' * 5000},v1={MAC}", "t has 5000 digits; whole unix seconds have at most 12"),
    (f"t={NOW}000,v1={MAC}", "t has 13 digits"),  # milliseconds
    (f"t=-{NOW},v1={MAC}", "t must be whole unix seconds (digits 0-9 only), not '-1700000000'"),
    (f"t=+{NOW},v1={MAC}", "not '+1700000000'"),
    (f"t={NOW}.5,v1={MAC}", "not '1700000000.5'"),
    (f"t=,v1={MAC}", "not ''"),
    ("t=\u0661\u0662,v1=" + MAC, r"not '\u0661\u0662'"),  # Arabic-Indic digits
    ("t=\xd9\xa1,v1=" + MAC, r"not '\xd9\xa1'"),  # UTF-8 bytes as a server hands them over
    (f"t={NOW},v1={'a' * 10000}", "v1 must be 64 lower-case hex digits, not 10000 characters"),
    (f"t={NOW},v1={MAC}0", "not 65 characters"),
    (f"t={NOW},v1={'AB' * 32}", "64 lower-case hex digits"),
    (f"t={NOW},v1=\u00e9{MAC[1:]}", "64 lower-case hex digits"),
    (",".join([f"t={NOW}"] + [f"v1={MAC}"] * 20), "it has 21 parts; a signature has at most 16"),
    (",".join(["x=1"] * 5000), "it has 5000 parts"),
    (f"t={NOW},t=1{'0' * 5000},v1={MAC}", "t must appear once"),
], ids=["t-5000-digits", "t-milliseconds", "t-negative", "t-plus", "t-fraction", "t-empty",
        "t-arabic-digits", "t-utf8-bytes", "v1-10000-chars", "v1-65-chars", "v1-upper-case",
        "v1-non-ascii", "21-parts", "5000-parts", "t-twice"])
def test_an_absurd_header_is_refused_naming_what_is_wrong(header, message):
    with pytest.raises(SignatureError, match=re.escape(message)) as caught:
        verify(SECRET, header, BODY, now=NOW)
    assert str(caught.value).isascii()  # whatever came, the message can be sent back
    assert len(str(caught.value)) < 400


def test_a_signature_older_than_300_seconds_is_refused_as_too_old():
    with pytest.raises(SignatureError, match=r"is 301 s old; signatures are accepted for 300 s"):
        verify(SECRET, sign(SECRET, BODY, NOW), BODY, now=NOW + 301)


def test_a_signature_from_more_than_300_seconds_ahead_is_refused_as_from_the_future():
    with pytest.raises(SignatureError, match=r"is 301 s in the future"):
        verify(SECRET, sign(SECRET, BODY, NOW), BODY, now=NOW - 301)


def test_the_window_can_be_narrowed():
    with pytest.raises(SignatureError, match="accepted for 10 s"):
        verify(SECRET, sign(SECRET, BODY, NOW), BODY, now=NOW + 11, tolerance_s=10)


@pytest.mark.parametrize("header, body", [
    (sign("another-secret", BODY, NOW), BODY),  # the wrong secret
    (sign(SECRET, BODY, NOW), BODY + b" "),  # one byte more in the body
    (sign(SECRET, BODY, NOW), BODY.replace(b"visitor-7", b"visitor-8")),  # a changed field
])
def test_a_signature_that_does_not_match_the_body_is_refused(header, body):
    with pytest.raises(SignatureError, match="does not match the body"):
        verify(SECRET, header, body, now=NOW)


def test_a_moved_timestamp_breaks_the_signature():
    mac = sign(SECRET, BODY, NOW).partition(",")[2]
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, f"t={NOW + 1},{mac}", BODY, now=NOW)


def test_any_of_several_v1_values_may_match_and_other_schemes_are_ignored():
    good = sign(SECRET, BODY, NOW).partition(",")[2]
    old = sign("retired-secret", BODY, NOW).partition(",")[2]
    verify(SECRET, f"t={NOW}, {old}, {good}, v2=whatever", BODY, now=NOW)


def test_the_error_is_an_engine_error_with_a_stable_code():
    assert issubclass(SignatureError, EngineError)
    assert SignatureError.code == "bad_signature"


def test_an_empty_secret_signs_nothing():
    with pytest.raises(ValueError, match="non-empty secret"):
        sign("", BODY, NOW)


def documented_verify():
    """Return the `verify` function of the Python snippet in docs/webhooks.md."""
    text = DOCS.read_text("utf-8")
    code = re.search(r"### Verifying in Python\s+```python\n(.*?)```", text, re.S)[1]
    assert len(code.strip().splitlines()) <= 12  # short enough to copy
    scope: dict = {}
    exec(compile(code, str(DOCS), "exec"), scope)
    return scope["verify"]


def test_the_documented_snippet_accepts_our_signatures_and_refuses_bad_ones():
    check = documented_verify()
    assert check(SECRET, sign(SECRET, BODY), BODY)
    assert not check(SECRET, sign(SECRET, BODY), BODY + b"x")
    assert not check("other", sign(SECRET, BODY), BODY)
    assert not check(SECRET, sign(SECRET, BODY, int(time.time()) - 400), BODY)
    assert not check(SECRET, "garbage", BODY)
