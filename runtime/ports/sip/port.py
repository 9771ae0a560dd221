"""A port of the SIP backend: one SIP dialog and its media at a time, behind the `Port` API."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from runtime.media import MediaError, MediaLibrary

from ..port import ACCEPTED, CONNECTED, NULL, OFFERED, CallerHungUp, Port, PortError, Recording
from .media import PTIME_S, MediaSession, Negotiated, Pacer

if TYPE_CHECKING:
    from aiosipua import IncomingCall

log = logging.getLogger(__name__)
DONE_MARGIN_S = 1.0  # a prompt's wait lasts its frames and this: the pacer ends it earlier
TRANSFER_TIMEOUT_S = 30.0
UTTERANCE_S = 12.0  # the endpointer ends an utterance at 10 s; this is the wait's bound


class Signalling(Protocol):
    """What a port needs of its backend (runtime.ports.sip.backend.SipBackend)."""

    prompts: MediaLibrary  # prompts as 8 kHz audio with their G.711 frames
    ring_s: float

    def decode(self, audio: bytes, codec: str) -> bytes:
        """Return G.711 audio as 16-bit linear PCM."""

    def transfer_uri(self, target: dict) -> str | None:
        """Return the SIP URI a transfer target names, or None."""

    def refer(self, port: SipPort, uri: str) -> None:
        """Send REFER on the port's dialog."""

    def forget(self, port: SipPort) -> None:
        """Stop routing the port's call to it."""


class SipPort(Port):
    """One line of the SIP backend."""

    backend = "sip"
    listens = True

    def __init__(self, port_id: str, sip: Signalling) -> None:
        super().__init__(port_id)
        self.sip = sip
        self.dialog: IncomingCall | None = None
        self.media: MediaSession | None = None
        self.sdp_answer = None
        self._transfer: asyncio.Future | None = None
        self._speech = ""  # "", "started" or "ended": the utterance being listened for

    def ring(self, dialog: IncomingCall, media: MediaSession, negotiated: Negotiated,
             sdp_answer: object, call) -> None:
        """Put an arriving call on this idle port (state offered, event `offered`)."""
        self._begin(call, OFFERED)
        self.dialog, self.media = dialog, media
        media.negotiated = negotiated  # heard from now on; sent to once answered
        self.sdp_answer = sdp_answer
        self._event("offered")

    async def answer(self) -> None:
        self._require(OFFERED)
        if self.sip.ring_s > 0:
            await self._wait(self.sip.ring_s)  # a CANCEL meanwhile ends it: 487, no answer
            self._require(OFFERED)
        self.state = ACCEPTED
        self.dialog.accept(self.sdp_answer)
        self.media.start(self.media.negotiated)
        self._connect()

    async def play(self, prompt: dict) -> None:
        self._require(CONNECTED)
        barge_in = prompt.get("barge_in", True)
        if barge_in and (self._keys or self._speech):
            return  # type-ahead: a key or speech already came, the prompt is skipped
        try:
            audio = await self.sip.prompts.prompt(prompt, prompt.get("language"))
        except MediaError as exc:  # a missing prompt file: the caller hears nothing, the flow goes on
            log.error("port %s: prompt %r not played: %s", self.id, prompt.get("audio")
                      or prompt.get("text"), exc)
            return
        self._require(CONNECTED)
        frames = audio.frames(self.media.negotiated.codec)
        if not frames:
            return
        self.media.play(frames, self._wake)
        try:
            await self._wait(len(frames) * PTIME_S + DONE_MARGIN_S, on_key=barge_in)
        finally:
            if self.media is not None:
                self.media.stop_playing()
        self._require(CONNECTED)

    def listen(self) -> None:
        self._require(CONNECTED)
        self._speech = ""
        self.media.listen(self._heard)

    def stop_listening(self) -> None:
        if self.media is not None:
            self.media.stop_listening()
        self._speech = ""

    def _heard(self, change: str) -> None:
        """The endpointer found speech starting (barge-in: a wait on keys ends) or ending."""
        self._speech = change
        if change == "ended" or self._wake_on_key:
            self._wake()

    async def hear(self, max_digits: int, timeout_s: float, inter_digit_s: float,
                   terminators: str = "#") -> tuple[str, str | bytes] | None:
        self._require(CONNECTED)
        try:
            if not self._keys and not self._speech:
                await self._wait(timeout_s, on_key=True)  # a key or speech ends it
                self._require(CONNECTED)
            if self._keys:
                keys = await self.get_digits(max_digits, timeout_s, inter_digit_s, terminators)
                return ("dtmf", keys) if keys else None
            if not self._speech:
                return None
            # speech started: wait for its end (the endpointer's hangover, or its longest)
            deadline = self.clock.now() + UTTERANCE_S
            while self._speech != "ended" and self.clock.now() < deadline:
                await self._wait(deadline - self.clock.now())
                self._require(CONNECTED)
            audio = self.media.stop_listening()
            return ("speech", audio) if audio else None
        finally:
            if self.media is not None:
                self.media.stop_listening()
            self._speech = ""

    async def record(self, max_s: float) -> Recording:
        self._require(CONNECTED)
        self.media.record(max_s)
        started = self.clock.now()
        try:
            await self._wait(max_s, on_key=True)
        finally:
            audio = self.media.stop_recording() if self.media is not None else b""
        self._require(CONNECTED)
        return Recording(round(min(max_s, self.clock.now() - started), 3),
                         self.sip.decode(audio, self.media.negotiated.codec) if audio else None)

    async def transfer(self, target: dict, timeout_s: float | None = None) -> str:
        """Transfer with REFER; the outcome is the final status of the NOTIFYs that follow."""
        self._require(CONNECTED)
        uri = self.sip.transfer_uri(target)
        if uri is None:
            return "failed"
        self._transfer = asyncio.get_running_loop().create_future()
        self.sip.refer(self, uri)
        try:
            async with asyncio.timeout(timeout_s or TRANSFER_TIMEOUT_S):
                status = await asyncio.shield(self._transfer)
        except TimeoutError:
            status = 408
        finally:
            self._transfer = None
        if 200 <= status < 300:
            # the caller talks to the target now; a transferee often sends its BYE with the
            # NOTIFY, and the call counts as transferred all the same
            if self.state == CONNECTED:
                self.dialog.hangup()  # our leg ends (BYE)
            self._gone("transfer")
            if self.call is not None:
                self.call.ended_by = "transfer"
            return "connected"
        self._require(CONNECTED)
        return {486: "busy", 600: "busy", 408: "noanswer", 480: "noanswer",
                487: "noanswer"}.get(status, "failed")

    def transfer_progress(self, status: int) -> None:
        """A NOTIFY told how the transfer goes: a final status settles it."""
        if status >= 200 and self._transfer is not None and not self._transfer.done():
            self._transfer.set_result(status)

    async def hangup(self) -> None:
        if self.state == NULL:
            return
        dialog, media = self.dialog, self.media
        try:
            if dialog is not None:
                if self.state == CONNECTED:
                    dialog.hangup()  # BYE
                elif self.state in (OFFERED, ACCEPTED):
                    dialog.reject(480, "Temporarily Unavailable")
        finally:  # whatever the stack did, the port is free for the next call
            if media is not None:
                media.close()
            self.sip.forget(self)
            self.dialog = self.media = self.sdp_answer = None
            self._release()

    async def dial(self, to: str, timeout_s: float = 30.0, caller_id: str = "") -> str:
        raise PortError("the sip backend answers calls; outbound calls are placed on the "
                        "emulator or a registered line")

    def caller_gone(self) -> None:
        """The caller sent BYE or CANCEL, or its RTP stopped: the call ends as the caller's."""
        if self.media is not None:
            self.media.stop_playing()
        self._gone("caller")
        if self._transfer is not None and not self._transfer.done():
            self._transfer.set_result(0)  # a transfer in progress ends with the caller


__all__ = ["CallerHungUp", "Pacer", "SipPort"]
