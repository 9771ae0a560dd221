"""Keys from the caller: RFC 4733 telephone-events, each key once however its packets arrive."""

import pytest

from runtime.ports.sip.dtmf import TelephoneEvents, info_key


def event(code, end=False, duration=160):
    return bytes([code, 0x80 if end else 0x0A]) + duration.to_bytes(2, "big")


def test_a_key_counts_once_for_all_its_packets():
    events = TelephoneEvents()
    keys = [events.key(8000, event(5, duration=d)) for d in (160, 320, 480)]
    keys += [events.key(8000, event(5, end=True, duration=640)) for _ in range(3)]
    assert keys == ["5", None, None, None, None, None]


def test_the_same_key_twice_is_two_events():
    events = TelephoneEvents()
    assert events.key(8000, event(1)) == "1"
    assert events.key(9600, event(1)) == "1"


def test_a_key_sent_on_a_new_stream_from_the_same_timestamp_counts():
    events = TelephoneEvents()  # sipp starts each key anew: another SSRC, the same timestamp
    assert events.key(24400, event(1), ssrc=7) == "1"
    assert events.key(24400, event(1, end=True), ssrc=7) is None
    assert events.key(24400, event(2), ssrc=8) == "2"


def test_a_lost_first_packet_still_gives_the_key():
    events = TelephoneEvents()
    assert events.key(16000, event(11, duration=480)) == "#"  # the update, not the start
    assert events.key(16000, event(11, end=True)) is None


def test_a_key_whose_only_packets_are_its_end_packets_still_counts():
    events = TelephoneEvents()
    assert events.key(24000, event(10, end=True)) == "*"


@pytest.mark.parametrize("code", [16, 32, 255])
def test_codes_that_are_not_keys_are_ignored(code):
    assert TelephoneEvents().key(8000, event(code)) is None


@pytest.mark.parametrize("payload", [b"", b"\x01", b"\x01\x80\x00"])
def test_short_payloads_are_ignored(payload):
    assert TelephoneEvents().key(8000, payload) is None


@pytest.mark.parametrize("content_type, body, key", [
    ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"),
    ("application/dtmf-relay", "Signal= #\r\n", "#"),
    ("Application/DTMF-Relay; charset=x", "Signal=a\r\n", "A"),
    ("application/dtmf", "7", "7"),
    ("application/dtmf", "11", "#"),
    ("application/dtmf-relay", "Signal=55\r\n", None),
    ("application/dtmf-relay", "Duration=160", None),
    ("application/dtmf", "16", None),
    ("text/plain", "Signal=5", None),
    (None, "Signal=5", None),
])
def test_sip_info_bodies(content_type, body, key):
    assert info_key(content_type, body) == key
