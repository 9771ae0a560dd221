"""RTP packets (RFC 3550) as the media path reads and writes them, read defensively.

A datagram from the network may be anything: `parse` returns None for whatever is not a
well-formed RTP packet (too short, another version, a header or padding that runs past the
end) rather than raising, so one bad datagram costs a comparison and never a call.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!BBHII")  # V/P/X/CC, M/PT, sequence number, timestamp, SSRC
VERSION = 2
MAX_SEQUENCE = 1 << 16
MAX_TIMESTAMP = 1 << 32


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One received packet: what the media path needs of its header, and its payload."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse(data: bytes) -> RtpPacket | None:
    """Return the packet in a datagram, or None when it is not well-formed RTP."""
    if len(data) < HEADER.size:
        return None
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != VERSION:
        return None
    start = HEADER.size + 4 * (first & 0x0F)  # after the CSRC list
    if first & 0x10:  # a header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(data) < start + 4:
            return None
        (words,) = struct.unpack_from("!H", data, start + 2)
        start += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: its length is the last octet, itself included
        if end <= start or not 0 < data[-1] <= end - start:
            return None
        end -= data[-1]
    if start > end:
        return None
    return RtpPacket(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc,
                     bytes(data[start:end]))


def header(payload_type: int, sequence: int, timestamp: int, ssrc: int,
           marker: bool = False) -> bytes:
    """Return the 12-byte header of a packet we send (no CSRC, extension or padding)."""
    return HEADER.pack(VERSION << 6, (0x80 if marker else 0) | payload_type,
                       sequence % MAX_SEQUENCE, timestamp % MAX_TIMESTAMP, ssrc)


def newer(sequence: int, than: int) -> bool:
    """Say whether a sequence number comes after another, across the 16-bit wrap."""
    return 0 < (sequence - than) % MAX_SEQUENCE < MAX_SEQUENCE // 2
