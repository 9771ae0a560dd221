"""A port of the line backend: a call of one registered extension at a time, behind the `Port` API.

pyVoIP sends the audio itself, one 160-byte frame every 20 ms from its own thread, from a
queue the port writes into. The port keeps that queue a few frames long, topping it up at
absolute 20 ms deadlines of the event loop: a key stops a prompt within those few frames, and
a late tick of the loop is made up at the next one rather than lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from ..port import (ACCEPTED, CONNECTED, DIALING, DISCONNECTED, NULL, OFFERED, CallerHungUp,
                    CallInfo, Port, Recording)
from .audio import FRAME_BYTES, frames, from_unsigned8, to_unsigned8

log = logging.getLogger(__name__)
PTIME_S = 0.02
LEAD_FRAMES = 3  # frames kept queued in pyVoIP: how far ahead of its sender the port writes
DRAIN_LIMIT_S = 2.0  # the longest a prompt's last queued frames are waited for
RATE = 8000


class PromptAudio(Protocol):
    """A prompt of runtime.media: 8 kHz mono 16-bit PCM."""

    pcm: bytes


class PromptSource(Protocol):
    """Turns a port prompt (`{"text"}` or `{"audio"}`) into audio (runtime.media.MediaLibrary)."""

    async def prompt(self, spec: dict, language: str = "en") -> PromptAudio:
        """Return the audio of a prompt, spoken in `language` when it is text."""


class PhoneCall(Protocol):
    """What a port drives of a pyVoIP call (runtime.ports.line.phone.LineCall), on the loop."""

    call_id: str

    @property
    def status(self) -> str:
        """Return `ringing`, `dialing`, `answered` or `ended`."""

    def pick_up(self) -> bool:
        """Answer the ringing call; False when it no longer rings."""

    def refuse(self) -> None:
        """Refuse the ringing call."""

    def drop(self) -> None:
        """Hang up the answered call."""

    def write_audio(self, data: bytes) -> None:
        """Queue 8-bit audio to be sent."""

    def queued(self) -> int:
        """Return how many bytes wait to be sent."""

    def flush(self) -> None:
        """Drop the audio not sent yet."""

    def forget(self) -> None:
        """Let go of the audio sent and received so far."""

    def available(self) -> int:
        """Return how many received bytes have not been read."""

    def take(self, size: int) -> bytes:
        """Return up to `size` received bytes."""


class Lines(Protocol):
    """What a port needs of its backend (runtime.ports.line.backend.LineBackend)."""

    prompts: PromptSource

    def finished(self, port: LinePort) -> None:
        """The port's call is over: free its extension and its pyVoIP thread."""

    async def place(self, port: LinePort, to: str,
                    timeout_s: float) -> tuple[str, PhoneCall | None]:
        """Dial `to` from an idle extension; return the outcome and the answered call."""


class LinePort(Port):
    """One line of the line backend: carries a call of whichever of its extensions rang."""

    backend = "line"

    def __init__(self, port_id: str, lines: Lines) -> None:
        """A port with no call, driving calls through `lines`."""
        super().__init__(port_id)
        self.lines = lines
        self.line_call: PhoneCall | None = None
        self.extension = ""  # the user of the extension the call is on
        self.done: threading.Event | None = None  # set when over: ends pyVoIP's call thread
        self.recording = False

    def ring(self, extension: str, call: PhoneCall, done: threading.Event | None,
             info: CallInfo) -> None:
        """Put an arriving call on this idle port (state offered, event `offered`)."""
        self._begin(info, OFFERED)
        self.extension, self.line_call, self.done = extension, call, done
        self._event("offered")

    async def answer(self) -> None:
        """Answer the ringing call (pyVoIP sends 200 and starts its audio)."""
        self._require(OFFERED)
        self.state = ACCEPTED
        if not self.line_call.pick_up():
            self._gone("caller")
            raise CallerHungUp(f"{self.id}: the caller hung up before the answer")
        self._connect()

    async def play(self, prompt: dict) -> None:
        """Play a prompt converted to pyVoIP's 8-bit audio; a key stops it (barge-in)."""
        self._require(CONNECTED)
        barge_in = prompt.get("barge_in", True)
        if barge_in and self._keys:
            return  # type-ahead: a key already waits, the prompt is skipped
        audio = await self.lines.prompts.prompt(prompt, prompt.get("language") or "en")
        self._require(CONNECTED)
        chunks = frames(to_unsigned8(audio.pcm))
        if chunks and not await self._send(chunks, barge_in):
            self.line_call.flush()  # stopped by a key or a hang-up: what is queued goes too
        self._require(CONNECTED)

    async def _send(self, chunks: Sequence[bytes], barge_in: bool) -> bool:
        """Feed frames to pyVoIP's sender at 20 ms deadlines; False if a key or hang-up stops it."""
        call = self.line_call
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = tick = 0
        while sent < len(chunks):
            room = LEAD_FRAMES - call.queued() // FRAME_BYTES
            for chunk in chunks[sent:sent + max(0, room)]:
                call.write_audio(chunk)
            sent = min(len(chunks), sent + max(0, room))
            tick += 1
            if await self._wait(max(0.0, start + tick * PTIME_S - loop.time()), on_key=barge_in):
                return False
        # the last frames are still queued: the prompt has played once pyVoIP has sent them
        for _ in range(int(DRAIN_LIMIT_S / PTIME_S)):
            if call.queued() <= 0:
                break
            tick += 1
            if await self._wait(max(0.0, start + tick * PTIME_S - loop.time()), on_key=barge_in):
                return False
        return True

    async def record(self, max_s: float) -> Recording:
        """Return what the caller says from now on, as 16-bit PCM; a key ends it early."""
        self._require(CONNECTED)
        call = self.line_call
        call.take(call.available())  # what was heard before the recording is not part of it
        started = self.clock.now()
        self.recording = True
        try:
            await self._wait(max_s, on_key=True)
        finally:
            self.recording = False
            audio = call.take(min(call.available(), int(max_s * RATE)))
        self._require(CONNECTED)
        return Recording(round(min(max_s, self.clock.now() - started), 3),
                         from_unsigned8(audio) if audio else None)

    async def transfer(self, target: dict, timeout_s: float | None = None) -> str:
        """Fail: pyVoIP 1.6.8 sends no REFER and cannot place a second call to bridge to."""
        self._require(CONNECTED)
        log.warning("port %s: transfer to %s failed: the line backend (pyVoIP 1.6.8) cannot "
                    "transfer calls (no REFER)", self.id, target)
        return "failed"

    async def hangup(self) -> None:
        """Send BYE, or refuse a call still ringing; free the extension and the port."""
        if self.state == NULL:
            return
        call = self.line_call
        if call is not None:
            if self.state == CONNECTED:
                call.drop()  # BYE
            elif self.state in (OFFERED, ACCEPTED):
                call.refuse()
            # DISCONNECTED: the caller's BYE has ended it in pyVoIP already
            self.lines.finished(self)
        self.line_call, self.done, self.extension = None, None, ""
        self._release()

    async def dial(self, to: str, timeout_s: float = 30.0, caller_id: str = "") -> str:
        """Call `to` from an idle extension; see `LineBackend.place` for the outcomes."""
        self._require(NULL)
        self._begin(CallInfo("outbound", caller=caller_id, called=to,
                             offered_at=self.clock.now()), DIALING)
        try:
            outcome, call = await self.lines.place(self, to, timeout_s)
        except BaseException:
            self._release()
            raise
        if self.state != DIALING:  # hung up meanwhile: a call answered since goes too
            if call is not None:
                call.drop()
                self.line_call = call
                self.lines.finished(self)
                self.line_call, self.extension = None, ""
            return "failed"
        if outcome != "answered" or call is None:
            self.call.ended_at, self.call.ended_by = self.clock.now(), outcome
            self._release()
            return outcome
        self.line_call = call
        self._connect()
        return "answered"

    def trim(self) -> None:
        """Let pyVoIP drop the call's audio kept so far, unless a recording needs it."""
        if self.state == CONNECTED and not self.recording and self.line_call is not None:
            self.line_call.forget()

    def caller_gone(self) -> None:
        """The far end sent BYE: the call ends as the caller's."""
        if self.state != DISCONNECTED:
            self._gone("caller")
