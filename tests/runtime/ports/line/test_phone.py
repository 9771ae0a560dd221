"""What the line backend changes of pyVoIP 1.6.8, tried on pyVoIP's own classes: its RTP endpoint's
guards and letting go of the audio it keeps."""

from __future__ import annotations

import struct
import warnings

import pytest

from runtime.ports.line.phone import _RtpClient, rebase

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pyVoIP imports audioop
    from pyVoIP import RTP

PCMU, PCMA, EVENT = RTP.PayloadType.PCMU, RTP.PayloadType.PCMA, RTP.PayloadType.EVENT


def client(*codecs: RTP.PayloadType, keys: list[str] | None = None) -> _RtpClient:
    """An RTP endpoint never started (no socket), offering `codecs` as payload types 0, 8, 101."""
    numbers = {PCMU: 0, PCMA: 8, EVENT: 101}
    return _RtpClient({numbers[c]: c for c in codecs}, "127.0.0.1", 0, "127.0.0.1", 0,
                      RTP.TransmitType.SENDRECV, dtmf=None if keys is None else keys.append)


def packet(payload_type: int, payload: bytes, *, marker: bool = False, timestamp: int = 0) -> bytes:
    """Return an RTP packet."""
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, 1, timestamp,
                       7) + payload


@pytest.mark.parametrize("datagram", [b"\x80", b"", packet(101, bytes([200, 0x80, 0, 160]),
                                                              marker=True)])
def test_datagrams_pyvoip_cannot_read_are_dropped_as_parse_errors_its_loop_survives(datagram):
    with pytest.raises(RTP.RTPParseError):
        client(PCMU, EVENT, keys=[]).parse_packet(datagram)


def test_a_key_still_arrives():
    keys: list[str] = []
    client(PCMU, EVENT, keys=keys).parse_packet(packet(101, bytes([5, 0x0A, 0, 160]),
                                                       marker=True))
    assert keys == ["5"]


def test_pcma_is_sent_as_pcma_not_mu_law():
    silence = bytes([128]) * 160
    assert client(PCMA).encode_packet(silence) == bytes([0xD5]) * 160  # A-law's zero
    assert client(PCMU).encode_packet(silence) == bytes([0xFF]) * 160  # mu-law's


def test_an_endpoint_never_started_stops_quietly():
    endpoint = client(PCMU)
    endpoint.stop()
    assert endpoint.NSD is False


def test_the_sent_audio_is_let_go_and_what_waits_still_goes_in_order():
    manager = RTP.RTPPacketManager()
    offset = 1000
    for n in range(10):
        manager.write(offset, bytes([n]) * 160)
        offset += 160
    assert manager.read(160 * 4) == b"".join(bytes([n]) * 160 for n in range(4))  # sent
    rebase(manager, keep_unread=True)
    assert len(manager.buffer.getvalue()) == 160 * 6 and len(manager.log) == 1
    manager.write(offset, bytes([10]) * 160)  # the sender's next write, at its own offset
    assert manager.read(160 * 7) == b"".join(bytes([n]) * 160 for n in range(4, 11))


def test_the_received_audio_is_let_go_and_the_next_packets_read_from_there():
    manager = RTP.RTPPacketManager()
    timestamp = 5000
    for n in range(10):
        manager.write(timestamp, bytes([n]) * 160)
        timestamp += 160
    manager.read(160 * 3)
    rebase(manager, keep_unread=False)
    assert manager.buffer.getvalue() == b"" and manager.log == {}
    manager.write(timestamp, bytes([42]) * 160)
    manager.write(timestamp + 160, bytes([43]) * 160)
    assert manager.read(320) == bytes([42]) * 160 + bytes([43]) * 160
