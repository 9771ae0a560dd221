"""The media path: one RTP socket per call, all calls paced by one clock on one event loop.

Every 20 ms the `Pacer` sends each live call its next packet: a frame of the prompt it plays,
or silence. Ticks are due at absolute times (start + n x 20 ms), never "20 ms after the last
one", so a late tick does not push the ones after it, and a call that missed ticks while the
loop was busy sends the missed frames at once (up to `CATCH_UP` of them) to keep the rate that
the far end's jitter buffer expects. Frames are G.711 already: prompts are encoded once and
cached (runtime.media), so a tick costs a header and a `sendto` per call.

What comes back is read defensively: only packets from the address the SDP negotiated count;
telephone-events give keys (`dtmf`), audio is kept only while recording, in a bounded reorder
buffer; anything else is dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from runtime.media import FRAME_MS, FRAME_SAMPLES, PAYLOAD_TYPES, SILENCE, decode
from runtime.speech import Utterances
from runtime.speech.endpoint import frame_levels

from . import rtp
from .dtmf import TelephoneEvents

log = logging.getLogger(__name__)
PTIME_S = FRAME_MS / 1000
CATCH_UP = 5  # frames a late call may send at once; beyond that the far end hears a gap
CODECS = {pt: codec for codec, pt in PAYLOAD_TYPES.items()}  # 0 PCMU, 8 PCMA
SILENT_FRAMES = {pt: bytes([SILENCE[codec]]) * FRAME_SAMPLES for pt, codec in CODECS.items()}
REORDER_DEPTH = 8  # packets held to put a recording back in order (160 ms)
# how long our prompt may take to come back as echo, counted in frames sent (500 ms): the far
# end's jitter buffer and the network both ways, and our loop held up (a late tick sends up to
# CATCH_UP frames at once while the echo of older ones still waits in the socket)
ECHO_FRAMES = 25


@dataclass(slots=True)
class MediaCounts:
    """What one call's media path saw: for logs, figures and the hostile-datagram tests."""

    sent: int = 0
    received: int = 0
    foreign: int = 0  # packets from an address the SDP did not name
    malformed: int = 0  # datagrams that are not RTP
    keys: int = 0
    late_frames: int = 0  # frames sent in a catch-up after the loop was late
    skipped_frames: int = 0  # frames whose time passed unsent (a stall beyond CATCH_UP)


@dataclass(slots=True)
class Negotiated:
    """What the SDP offer and answer settled for a call."""

    remote: tuple[str, int]  # where the caller receives, and sends from
    payload_type: int  # 0 PCMU or 8 PCMA
    events: frozenset[int] = frozenset()  # the caller's telephone-event payload types
    held: bool = False  # the caller hears nothing (on hold): we send nothing
    quiet: bool = False  # the caller sends nothing (it only listens): its silence ends nothing

    @property
    def codec(self) -> str:
        """Return the codec's name (`PCMU` or `PCMA`)."""
        return CODECS[self.payload_type]


class _Endpoint(asyncio.DatagramProtocol):
    """The socket of one call's media: hands each datagram to the call's session."""

    def __init__(self, session: MediaSession) -> None:
        self.session = session
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.session.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable after the caller went away: the BYE or the RTP timeout ends it
        pass


@dataclass(slots=True)
class _Playing:
    frames: Sequence[bytes]
    done: Callable[[], None]
    next: int = 0
    levels: Sequence[float] | None = None  # each frame's level (RMS), while listening


def prompt_levels(frames: Sequence[bytes], codec: str) -> list[float]:
    """Return the level (RMS of the 16-bit samples) of each G.711 frame of a prompt."""
    pcm = np.frombuffer(decode(b"".join(frames), codec), dtype="<i2")
    return frame_levels(pcm, FRAME_SAMPLES).tolist()


class MediaSession:
    """The media of one call: its socket, what it plays, what it hears."""

    def __init__(self, pacer: Pacer, on_key: Callable[[str], None]) -> None:
        self.pacer = pacer
        self.on_key = on_key
        self.negotiated: Negotiated | None = None
        self.counts = MediaCounts()
        self.heard_at = time.monotonic()  # the last packet from the caller
        self._endpoint: _Endpoint | None = None
        self.local_port = 0
        self._events = TelephoneEvents()
        self._playing: _Playing | None = None
        self._sequence = random.randrange(rtp.MAX_SEQUENCE)
        self._timestamp = random.randrange(rtp.MAX_TIMESTAMP)
        self._ssrc = random.randrange(1, rtp.MAX_TIMESTAMP)
        self._recording: Recorder | None = None
        self._listening: _Listening | None = None
        self._played: deque[float] = deque(maxlen=ECHO_FRAMES)  # levels sent, while listening
        self._started = False
        self._marker = True  # the first packet, and the first after skipped time

    async def bind(self, host: str) -> int:
        """Open the call's RTP socket on `host` (a port the system picks); return its port."""
        loop = asyncio.get_running_loop()
        transport, endpoint = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self), local_addr=(host, 0))
        self._endpoint = endpoint
        self.local_port = transport.get_extra_info("sockname")[1]
        return self.local_port

    @property
    def quiet(self) -> bool:
        """Say whether the caller, as negotiated, sends no audio (on hold, only listening)."""
        return self.negotiated is not None and self.negotiated.quiet

    def start(self, negotiated: Negotiated) -> None:
        """Start sending to the caller (silence until something plays) and hearing from it;
        again after a re-INVITE, with what it settled."""
        self.negotiated = negotiated
        self.heard_at = time.monotonic()
        if not self._started:
            self._started = True
            self.pacer.add(self)

    def close(self) -> None:
        """Stop the media: nothing more is sent, the socket closes, a playing prompt ends."""
        self.pacer.discard(self)
        self.stop_playing()
        if self._endpoint is not None and self._endpoint.transport is not None:
            self._endpoint.transport.close()
        self._endpoint = None

    # --- sending ---------------------------------------------------------------------------
    def play(self, frames: Sequence[bytes], done: Callable[[], None]) -> None:
        """Send these frames from the next tick on; call `done` after the last one went out."""
        self.stop_playing()
        levels = None
        if self._listening is not None and self.negotiated is not None:
            levels = prompt_levels(frames, self.negotiated.codec)  # for the endpointer's echo
        self._playing = _Playing(frames, done, levels=levels)

    def stop_playing(self) -> None:
        """Stop the prompt that plays (barge-in, hang-up); its `done` is not called."""
        self._playing = None

    def tick(self, frames: int) -> None:
        """Send the frames due: 1, or up to CATCH_UP when catching up after a late tick.

        Frames beyond CATCH_UP are skipped, their time too: the timestamp moves on by them and
        the next packet is marked, so the far end's timeline stays the wall clock's.
        """
        negotiated = self.negotiated
        endpoint = self._endpoint
        if negotiated is None or endpoint is None or endpoint.transport is None:
            return
        if negotiated.held:  # time passes, nothing is sent; a prompt playing is not heard
            self._timestamp += frames * FRAME_SAMPLES
            self._marker = True
            return
        if frames > CATCH_UP:
            self._timestamp += (frames - CATCH_UP) * FRAME_SAMPLES
            self._marker = True
            self.counts.skipped_frames += frames - CATCH_UP
            frames = CATCH_UP
        silence = SILENT_FRAMES[negotiated.payload_type]
        for _ in range(frames):
            playing = self._playing
            if playing is not None:
                frame = playing.frames[playing.next]
                if self._listening is not None:
                    self._played.append(playing.levels[playing.next] if playing.levels else 0.0)
                playing.next += 1
                if playing.next >= len(playing.frames):
                    self._playing = None
                    playing.done()
            else:
                frame = silence
                if self._listening is not None:
                    self._played.append(0.0)
            packet = rtp.header(negotiated.payload_type, self._sequence, self._timestamp,
                                self._ssrc, marker=self._marker) + frame
            self._marker = False
            endpoint.transport.sendto(packet, negotiated.remote)
            self._sequence += 1
            self._timestamp += FRAME_SAMPLES
            self.counts.sent += 1
        if frames > 1:
            self.counts.late_frames += frames - 1

    # --- receiving -------------------------------------------------------------------------
    def received(self, data: bytes, addr: tuple) -> None:
        """Take one datagram from the socket: keys, recorded audio, or nothing."""
        negotiated = self.negotiated
        if negotiated is None or addr[:2] != negotiated.remote:
            self.counts.foreign += 1
            return
        packet = rtp.parse(data)
        if packet is None:
            self.counts.malformed += 1
            return
        self.counts.received += 1
        self.heard_at = time.monotonic()
        if packet.payload_type in negotiated.events:
            key = self._events.key(packet.timestamp, packet.payload, packet.ssrc)
            if key is not None:
                self.counts.keys += 1
                self.on_key(key)
        elif packet.payload_type == negotiated.payload_type:
            if self._recording is not None:
                self._recording.add(packet.sequence, packet.payload)
            if self._listening is not None:
                self._listening.add(decode(packet.payload, negotiated.codec),
                                    max(self._played, default=0.0))

    def listen(self, on_change: Callable[[str], None]) -> None:
        """Start looking for an utterance in what the caller sends; `on_change` hears
        "started" (barge-in) and "ended" (the utterance is whole)."""
        self._listening = _Listening(Utterances(), on_change)
        self._played.clear()

    def stop_listening(self) -> bytes:
        """Stop looking; return the utterance heard (8 kHz PCM), b"" when none started."""
        listening, self._listening = self._listening, None
        if listening is None or not listening.utterances.started:
            return b""
        return listening.utterances.audio

    def record(self, max_s: float) -> Recorder:
        """Start keeping what the caller says, `max_s` seconds at most; `stop_recording` ends it."""
        self._recording = Recorder(max_frames=int(max_s / PTIME_S) + REORDER_DEPTH)
        return self._recording

    def stop_recording(self) -> bytes:
        """Stop keeping audio; return the G.711 bytes heard since `record`, in order."""
        recording, self._recording = self._recording, None
        return recording.finish() if recording is not None else b""


@dataclass(slots=True)
class _Listening:
    utterances: Utterances
    on_change: Callable[[str], None]

    def add(self, pcm: bytes, echo: float) -> None:
        change = self.utterances.add(pcm, echo)
        if change is not None:
            self.on_change(change)


class Recorder:
    """The caller's audio while recording, put back in order over a few packets."""

    def __init__(self, max_frames: int = 3600 * 50) -> None:
        self.max_frames = max_frames
        self._held: dict[int, bytes] = {}
        self._out = bytearray()
        self._last: int | None = None  # the sequence number of the last frame kept
        self._base: int | None = None  # before any frame can be: orders the first ones
        self._frames = 0

    def add(self, sequence: int, payload: bytes) -> None:
        """Hold a frame; once more than a few are held, keep the oldest."""
        if self._last is not None and not rtp.newer(sequence, self._last):
            return  # late (its place has gone) or a duplicate
        if self._frames + len(self._held) >= self.max_frames:
            return
        if self._base is None:  # the first frames may come out of order too, and wrap
            self._base = (sequence - REORDER_DEPTH - 1) % rtp.MAX_SEQUENCE
        self._held[sequence] = payload
        if len(self._held) > REORDER_DEPTH:
            self._flush(1)

    def finish(self) -> bytes:
        """Keep every frame still held; return all the audio."""
        self._flush(len(self._held))
        return bytes(self._out)

    def _flush(self, count: int) -> None:
        base = self._last if self._last is not None else self._base
        for sequence in sorted(self._held, key=lambda s: (s - base) % rtp.MAX_SEQUENCE)[:count]:
            self._out += self._held.pop(sequence)
            self._last = sequence
            self._frames += 1


class Pacer:
    """The 20 ms clock of every call's outgoing audio, on the running event loop."""

    def __init__(self) -> None:
        self._sessions: set[MediaSession] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self.ticks = self.late_ticks = 0

    def add(self, session: MediaSession) -> None:
        """Pace a session's audio from the next tick."""
        self._sessions.add(session)
        if self._handle is None:
            loop = asyncio.get_running_loop()
            self._due = loop.time() + PTIME_S
            self._handle = loop.call_at(self._due, self._tick)

    def discard(self, session: MediaSession) -> None:
        """Stop pacing a session."""
        self._sessions.discard(session)

    def stop(self) -> None:
        """Stop the clock (the backend is stopping)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._sessions.clear()

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        # the ticks due by now: 1 when on time, more when the loop was held up
        frames = 1 + max(0, int((now - self._due) / PTIME_S))
        if frames > 1:
            self.late_ticks += 1
        self.ticks += 1
        try:
            for session in tuple(self._sessions):
                try:
                    session.tick(frames)
                except Exception:  # one call's failure must not silence the others
                    log.exception("media of one call failed; it is closed")
                    session.close()
        finally:
            self._due += frames * PTIME_S
            if self._sessions:
                self._handle = loop.call_at(self._due, self._tick)
            else:
                self._handle = None
