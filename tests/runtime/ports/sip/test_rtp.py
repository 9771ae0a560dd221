"""RTP packets: what the media path accepts, and the datagrams it drops without a word."""

import struct

import pytest

from runtime.ports.sip import rtp


def packet(payload=b"\xff" * 160, *, pt=0, seq=7, ts=1600, ssrc=42, marker=False, first=0x80,
           tail=b""):
    return struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc) + tail + payload


def test_a_packet_gives_its_header_fields_and_payload():
    parsed = rtp.parse(packet(b"abc", pt=8, seq=65535, ts=2**32 - 1, ssrc=9, marker=True))
    assert parsed == rtp.RtpPacket(8, True, 65535, 2**32 - 1, 9, b"abc")


def test_a_header_we_write_reads_back():
    data = rtp.header(0, 70000, 2**32 + 5, 123, marker=True) + b"x"
    assert rtp.parse(data) == rtp.RtpPacket(0, True, 70000 % 65536, 5, 123, b"x")


def test_csrc_and_extension_are_skipped():
    csrc = struct.pack("!II", 1, 2)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\0\0\0\0"
    parsed = rtp.parse(packet(b"audio", first=0x80 | 0x10 | 2, tail=csrc + extension))
    assert parsed.payload == b"audio"


def test_padding_is_taken_off():
    assert rtp.parse(packet(b"audio" + b"\0\0\3", first=0xA0)).payload == b"audio"


@pytest.mark.parametrize("data", [
    b"", b"\x80", b"\x80" * 11,  # shorter than a header (the 1-byte datagram among them)
    packet(first=0x40),  # version 1
    packet(b"", first=0x80 | 15),  # 15 CSRCs announced, none there
    packet(b"", first=0x90),  # an extension announced, none there
    packet(b"", first=0x90, tail=struct.pack("!HH", 1, 500)),  # extension longer than the packet
    packet(b"ab\x00", first=0xA0),  # padding of 0
    packet(b"ab\x09", first=0xA0),  # padding longer than the payload
    b"INVITE sip:x@y SIP/2.0\r\n\r\n",  # SIP on the RTP port
], ids=["empty", "1 byte", "11 bytes", "version 1", "csrc overrun", "no extension",
        "extension overrun", "zero padding", "padding overrun", "sip"])
def test_what_is_not_rtp_is_none(data):
    assert rtp.parse(data) is None


def test_sequence_numbers_compare_across_the_wrap():
    assert rtp.newer(1, 0)
    assert rtp.newer(0, 65535)  # 65535 -> 0 is one step on
    assert not rtp.newer(65535, 0)
    assert not rtp.newer(5, 5)
