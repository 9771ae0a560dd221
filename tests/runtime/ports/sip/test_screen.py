"""The SIP backend screens each datagram before the stack parses it (what aiosipua lets through)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from runtime.ports.sip.screen import MAX_DATAGRAM, screen

MESSAGES = Path(__file__).resolve().parent / "messages"
INDEX: dict[str, dict] = tomllib.loads((MESSAGES / "index.toml").read_text())
STATUS = {"i11-unknown-sip-version": 505, "i15-overlong-header-64k": None}

INVITE = (b"INVITE sip:keys@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n"
          b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:keys@127.0.0.1>\r\nCall-ID: c1\r\n"
          b"CSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nbody")


@pytest.mark.parametrize("name", [n for n, e in INDEX.items() if e["verdict"] == "valid"])
def test_valid_messages_pass_to_the_stack(name):
    assert screen((MESSAGES / f"{name}.sip").read_bytes()) is None


@pytest.mark.parametrize("name", [n for n, e in INDEX.items() if "gap" in e])
def test_what_the_stack_would_accept_wrongly_is_refused(name):
    refusal = screen((MESSAGES / f"{name}.sip").read_bytes())
    assert refusal is not None and refusal.reason
    assert refusal.status == STATUS.get(name, 400)


@pytest.mark.parametrize("data, reason", [
    (INVITE.replace(b"Content-Length: 4", b"Content-Length: 4\r\nl: 5"), "twice"),
    (INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), "another method"),
    (INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"), "not a number"),
    (INVITE.replace(b"Call-ID: c1", b"Call-ID: c1\rVia: SIP/2.0/UDP 10.0.0.1"), "CR"),
    (INVITE.replace(b"From: <", b'From: "Eve <'), "quoted string"),
    (INVITE[:-2], "shorter than its Content-Length"),
    (INVITE.replace(b"SIP/2.0\r\nVia", b"SIP/3.0\r\nVia"), "version"),
])
def test_each_check_names_its_reason(data, reason):
    assert reason in screen(data).reason


def test_a_folded_header_is_read_whole():
    folded = INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1\r\n  INVITE")
    assert screen(folded) is None


def test_responses_and_oversized_datagrams():
    assert screen(b"SIP/2.0 200 OK\r\nCSeq: 2 REFER\r\n\r\n") is None  # the stack's to match
    oversized = screen(INVITE + b"x" * MAX_DATAGRAM)
    assert oversized is not None and oversized.status is None  # dropped, not answered
