"""The media path over real loopback sockets: paced sending, keys, recordings, hostile datagrams."""

import asyncio
import socket

import numpy as np
import pytest

from runtime.media import decode, encode
from runtime.ports.sip import rtp
from runtime.ports.sip.media import MediaSession, Negotiated, Pacer, Recorder


class Caller:
    """The far end's RTP socket: what it received, and a way to send from it or elsewhere."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.address = self.sock.getsockname()

    def received(self):
        packets = []
        while True:
            try:
                packets.append(rtp.parse(self.sock.recv(2048)))
            except BlockingIOError:
                return packets

    def close(self):
        self.sock.close()


async def session_with(caller, on_key=None, payload_type=0):
    pacer = Pacer()
    session = MediaSession(pacer, on_key or (lambda key: None))
    port = await session.bind("127.0.0.1")
    session.start(Negotiated(caller.address, payload_type, frozenset({101})))
    return pacer, session, ("127.0.0.1", port)


def event(code, end=False):
    return bytes([code, 0x80 if end else 0x0A, 0, 160])


def test_a_call_is_sent_a_packet_every_20_ms_in_sequence_with_silence_between_prompts():
    async def scenario():
        caller = Caller()
        pacer, session, _ = await session_with(caller)
        played = asyncio.get_running_loop().create_future()
        session.play([b"\x01" * 160] * 5, lambda: played.set_result(True))
        await asyncio.wait_for(played, 2)
        await asyncio.sleep(0.5)
        session.close()
        pacer.stop()
        got = caller.received()
        caller.close()
        return got

    packets = asyncio.run(scenario())
    assert 20 <= len(packets) <= 40  # ~0.6 s at 50 packets a second, whatever the load
    assert [p.payload for p in packets[:5]] == [b"\x01" * 160] * 5  # the prompt, from the start
    assert all(p.payload == b"\xff" * 160 for p in packets[5:])  # then µ-law silence
    assert packets[0].marker and not any(p.marker for p in packets[1:])
    assert all(rtp.newer(b.sequence, a.sequence) and b.timestamp - a.timestamp == 160
               for a, b in zip(packets, packets[1:]))


def test_a_late_loop_catches_up_on_the_frames_it_missed():
    async def scenario():
        caller = Caller()
        pacer, session, _ = await session_with(caller)
        await asyncio.sleep(0.1)
        import time
        time.sleep(0.1)  # the loop held up for 5 frames
        await asyncio.sleep(0.1)
        session.close()
        pacer.stop()
        late = session.counts.late_frames
        count = len(caller.received())
        caller.close()
        return late, count

    late, count = asyncio.run(scenario())
    assert late >= 3
    assert count >= 12  # ~0.3 s of frames, none lost to the stall


def test_keys_come_from_telephone_events_of_the_negotiated_address_only():
    async def scenario():
        caller, stranger = Caller(), Caller()
        keys = []
        pacer, session, address = await session_with(caller, keys.append)
        for ts, code in ((8000, 1), (8000, 1), (9600, 2)):
            caller.sock.sendto(rtp.header(101, ts // 160, ts, 7) + event(code), address)
        stranger.sock.sendto(rtp.header(101, 99, 20000, 8) + event(9), address)
        caller.sock.sendto(b"\x80", address)  # 1-byte RTP
        caller.sock.sendto(rtp.header(101, 100, 30000, 7) + event(200), address)  # no key code
        await asyncio.sleep(0.2)
        counts = session.counts
        session.close()
        pacer.stop()
        caller.close()
        stranger.close()
        return keys, counts

    keys, counts = asyncio.run(scenario())
    assert keys == ["1", "2"]
    assert (counts.foreign, counts.malformed, counts.keys) == (1, 1, 2)


def test_a_recording_keeps_the_callers_audio_in_order_once():
    async def scenario():
        caller = Caller()
        pacer, session, address = await session_with(caller)
        session.record(10)
        for seq in (10, 12, 11, 11, 13):  # reordered, and one twice
            caller.sock.sendto(rtp.header(0, seq, seq * 160, 7) + bytes([seq]) * 160, address)
        await asyncio.sleep(0.2)
        audio = session.stop_recording()
        session.close()
        pacer.stop()
        caller.close()
        return audio

    audio = asyncio.run(scenario())
    assert audio == b"".join(bytes([s]) * 160 for s in (10, 11, 12, 13))


def test_the_reorder_buffer_drops_what_comes_after_its_place_has_gone():
    recorder = Recorder()
    for seq in range(20):
        recorder.add(seq, bytes([seq]))
    recorder.add(3, b"late")
    assert recorder.finish() == bytes(range(20))


def test_the_reorder_buffer_orders_across_the_sequence_wrap():
    recorder = Recorder()
    for seq in (65534, 0, 65535, 1):
        recorder.add(seq, bytes([seq % 256]))
    assert recorder.finish() == bytes([254, 255, 0, 1])


def test_a_recording_is_bounded():
    recorder = Recorder(max_frames=3)
    for seq in range(10):
        recorder.add(seq, b"x")
    assert recorder.finish() == b"xxx"


def test_a_closed_session_sends_nothing_more():
    async def scenario():
        caller = Caller()
        pacer, session, _ = await session_with(caller)
        await asyncio.sleep(0.1)
        session.close()
        caller.received()
        await asyncio.sleep(0.1)
        rest = caller.received()
        pacer.stop()
        caller.close()
        return rest

    assert asyncio.run(scenario()) == []


@pytest.mark.parametrize("payload_type, silence", [(0, b"\xff"), (8, b"\xd5")])
def test_silence_is_the_laws_own(payload_type, silence):
    async def scenario():
        caller = Caller()
        pacer, session, _ = await session_with(caller, payload_type=payload_type)
        await asyncio.sleep(0.1)
        session.close()
        pacer.stop()
        got = caller.received()
        caller.close()
        return got

    packets = asyncio.run(scenario())
    assert packets and all(p.payload == silence * 160 and p.payload_type == payload_type
                           for p in packets)


def test_ticks_keep_to_absolute_deadlines_so_lateness_never_adds_up():
    class Clocked:
        """A session that notes when each tick came (loop time) and how many frames it asked."""

        def __init__(self):
            self.at: list[float] = []
            self.frames = 0

        def tick(self, frames):
            self.frames += frames
            self.at.append((asyncio.get_running_loop().time(), self.frames))

    async def scenario():
        pacer, session = Pacer(), Clocked()
        pacer.add(session)
        start = asyncio.get_running_loop().time()
        await asyncio.sleep(4.1)
        pacer.stop()
        return start, session

    start, session = asyncio.run(scenario())
    # 200 frames in 4 s: a pacer sleeping 20 ms after each send would be ~1 % short (the
    # 49.3 packets a second measured of pyVoIP) and its ticks would drift later and later
    assert 199 <= session.frames <= 206
    # each tick against the deadline of the last frame it sent: start + 20 ms x frames so far
    lateness = sorted(at - (start + 0.02 * frames) for at, frames in session.at[-50:])
    assert lateness[len(lateness) // 2] < 0.010  # the median tick of the last second on time


def test_the_echo_of_a_loud_frame_read_after_the_loop_was_held_up_twice_is_not_speech():
    heard: list[str] = []

    async def scenario():
        caller = Caller()
        pacer, session, _ = await session_with(caller)
        pacer.stop()  # this test ticks by hand
        session.listen(heard.append)
        loud, soft = encode_tone(6000), encode_tone(300)
        session.play([loud] * 10 + [soft] * 60, lambda: None)
        for _ in range(10):
            session.tick(1)
        # the loop was held up twice before it read what the line sent back meanwhile: each
        # late tick sent CATCH_UP frames of the word's soft end, then came the loud frames' echo
        session.tick(15)
        session.tick(15)
        back = echo_of(loud, -10)
        for n in range(10):
            session.received(rtp.header(0, n, n * 160, 77) + back, caller.address)
        session.close()
        caller.close()

    asyncio.run(scenario())
    assert heard == []  # 10 dB under frames sent 10 to 20 frames ago: their echo, not speech


def encode_tone(level: float) -> bytes:
    t = np.arange(160) / 8000
    return encode((level * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes(), "PCMU")


def echo_of(frame: bytes, db: float) -> bytes:
    pcm = np.frombuffer(decode(frame, "PCMU"), "<i2") * 10 ** (db / 20)
    return encode(pcm.astype("<i2").tobytes(), "PCMU")
