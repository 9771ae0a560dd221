"""pyVoIP 1.6.8 behind a small face: one registered extension, its calls, their events on the loop.

Everything here knows pyVoIP's classes, and some of its internals; it is pinned
(`pyVoIP==1.6.8`, the `pyvoip` extra) so that they hold. pyVoIP runs threads: its SIP receiver,
a registration timer, one thread per arriving call and two per call's RTP. What they report
(a call arriving, a key, the caller's BYE) is handed to the event loop with
`call_soon_threadsafe` and nothing else: the ports' state is only ever touched on the loop.

What 1.6.8 does not do, and this module makes up for where it can (docs/line.md):
- its RTP receive thread dies on anything but the errors it expects (a 1-byte datagram, a
  telephone-event code above 15), ending the call's audio for good: such packets are dropped;
- it sends PCMA encoded as mu-law: PCMA is encoded as PCMA;
- it forgets a call whose callback thread has ended: that thread waits out the call;
- refusing a ringing call fails on its RTP endpoints, never started: they stop quietly;
- it keeps all of a call's audio, sent and received (about 80 MB an hour): the port lets go of
  it every few seconds (`forget`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

with warnings.catch_warnings():
    # pyVoIP imports audioop, deprecated since Python 3.11 (gone in 3.13): pyVoIP's to replace
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyVoIP import RTP
    from pyVoIP.VoIP import CallState, InvalidStateError, VoIPCall, VoIPPhone
    from pyVoIP.VoIP.status import PhoneStatus

log = logging.getLogger(__name__)
WAIT_S = 1.0  # how often a call's thread looks whether the line is stopping
POLL_S = 0.05  # how often registration is looked at while it is under way
SIP_TIMEOUT_S = 5.0  # pyVoIP's wait for each registrar answer (its own default: 30 s)
RINGING, ANSWERED, ENDED = "ringing", "answered", "ended"
_STATES = {CallState.RINGING: RINGING, CallState.ANSWERED: ANSWERED, CallState.ENDED: ENDED,
           CallState.DIALING: "dialing"}


class LineError(Exception):
    """The registrar refused or never answered an extension, or its socket could not be bound."""


@dataclass(frozen=True, slots=True)
class Account:
    """One extension on the server: who it registers as and where it listens."""

    user: str
    password: str
    local_host: str
    local_port: int
    rtp_low: int
    rtp_high: int


class PhoneEvents(Protocol):
    """Where a phone's events land, always on the event loop (runtime.ports.line.LineBackend)."""

    def arrived(self, phone: LinePhone, call: LineCall, done: threading.Event) -> None:
        """A call rings on the phone; `done` is to be set once the call is over."""

    def pressed(self, call_id: str, key: str) -> None:
        """The far end of a call pressed a key (RFC 2833)."""

    def ended(self, call_id: str) -> None:
        """The far end of a call hung up (BYE)."""


class _RtpClient(RTP.RTPClient):
    """pyVoIP's RTP endpoint with the guards its receive thread and PCMA encoder lack."""

    def parse_packet(self, packet: bytes) -> None:
        """Parse a datagram; one pyVoIP cannot read is dropped, not fatal to the thread."""
        try:
            super().parse_packet(packet)
        except RTP.RTPParseError:
            raise  # pyVoIP's receive loop drops these itself
        except (IndexError, ValueError, TypeError, KeyError) as exc:
            raise RTP.RTPParseError(f"dropped an unreadable RTP datagram: {exc!r}") from None

    def stop(self) -> None:
        """Stop sending and receiving; a client never started (a call refused) has no socket."""
        if not hasattr(self, "sin"):  # 1.6.8's deny() stops clients it never started, and fails
            self.NSD = False
            return
        super().stop()

    def encode_packet(self, payload: bytes) -> bytes:
        """Encode a frame in the negotiated law (1.6.8 encodes PCMA as mu-law)."""
        if self.preference == RTP.PayloadType.PCMA:
            return self.encode_pcma(payload)
        return super().encode_packet(payload)


class LineCall(VoIPCall):
    """One call of a phone, as the loop drives it: answer, audio in and out, hang up."""

    relay: LinePhone | None = None

    def create_rtp_clients(self, *args: Any, **kwargs: Any) -> None:
        """Make pyVoIP's RTP endpoints, then give them the guards of `_RtpClient`."""
        super().create_rtp_clients(*args, **kwargs)
        for client in self.RTPClients:
            client.__class__ = _RtpClient  # a subclass adding two methods: the state is theirs

    def dtmf_callback(self, code: str) -> None:
        """A key arrived (RTP thread): hand it to the loop instead of pyVoIP's unread buffer."""
        if self.relay is not None:
            self.relay.post("pressed", self.call_id, code)

    def bye(self) -> None:
        """The far end hung up (SIP thread): let pyVoIP end the call, then tell the loop."""
        super().bye()
        if self.relay is not None:
            self.relay.post("ended", self.call_id)

    # --- on the loop ----------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """Return `ringing`, `dialing`, `answered` or `ended`."""
        return _STATES[self.state]

    @property
    def caller(self) -> str:
        """Return the user part of the From header (the calling number)."""
        return self.request.headers["From"].get("number") or ""

    @property
    def called(self) -> str:
        """Return the user part of the To header (the number the caller dialled)."""
        return self.request.headers["To"].get("number") or ""

    def pick_up(self) -> bool:
        """Answer the ringing call (200 with SDP, audio started); False when it no longer rings."""
        try:
            self.answer()
        except (InvalidStateError, OSError) as exc:
            log.info("call %s could not be answered: %s", self.call_id, exc)
            return False
        return True

    def refuse(self) -> None:
        """Refuse the ringing call (pyVoIP knows one refusal: 486 Busy Here)."""
        try:
            self.deny()
        except (InvalidStateError, KeyError):
            pass  # no longer ringing: nothing to refuse

    def drop(self) -> None:
        """Hang up the answered call (BYE); nothing when it has ended already."""
        try:
            self.hangup()
        except (InvalidStateError, OSError):
            pass

    def queued(self) -> int:
        """Return how many bytes of audio wait to be sent (pyVoIP sends 160 every 20 ms)."""
        return _unread(self.RTPClients[0].pmout) if self.RTPClients else 0

    def flush(self) -> None:
        """Drop the audio not sent yet, so that a prompt stops now (barge-in)."""
        for client in self.RTPClients:
            manager = client.pmout
            with manager.bufferLock:
                manager.buffer.seek(0, 2)

    def available(self) -> int:
        """Return how many bytes of received audio have not been read."""
        return _unread(self.RTPClients[0].pmin) if self.RTPClients else 0

    def take(self, size: int) -> bytes:
        """Return up to `size` bytes of received audio (8-bit unsigned), never waiting."""
        if size <= 0 or not self.RTPClients:
            return b""
        return self.read_audio(size, blocking=False)

    def forget(self) -> None:
        """Let go of the audio sent and of all audio received, which pyVoIP would keep all call."""
        for client in self.RTPClients:
            rebase(client.pmout, keep_unread=True)  # what waits to be sent still goes
            rebase(client.pmin, keep_unread=False)


def _unread(manager: Any) -> int:
    """Return the bytes between the read position and the end of an RTPPacketManager's buffer.

    The buffer holds a call's audio from its first packet (pyVoIP keeps it all); the position is
    where `read` takes the next bytes from, whoever reads.
    """
    if manager.rebuilding:  # a late packet makes pyVoIP rebuild the buffer: ask again later
        return 0
    with manager.bufferLock:
        buffer = manager.buffer
        with buffer.getbuffer() as view:
            return max(0, view.nbytes - buffer.tell())


def rebase(manager: Any, *, keep_unread: bool) -> None:
    """Start an RTPPacketManager's buffer afresh, holding only its unread bytes, or nothing.

    Its bytes stand at `offset` (the first packet's RTP timestamp, or the sender's first write
    offset) plus their position, so the new buffer starts at the old one's read position (the
    unread bytes kept) or its end. Its log, from which pyVoIP rebuilds the buffer when a packet
    comes late, holds what the new buffer holds.
    """
    if manager.rebuilding:  # pyVoIP is rebuilding it from the log: next time
        return
    with manager.bufferLock:
        buffer = manager.buffer
        start = buffer.tell()
        unread = buffer.read() if keep_unread else b""
        base = manager.offset + (start if keep_unread else buffer.seek(0, 2))
        manager.offset = base
        manager.buffer = io.BytesIO(unread)
        manager.log = {base: unread} if unread else {}


class _Phone(VoIPPhone):
    """pyVoIP's phone whose arriving calls are `LineCall`s reporting to a relay."""

    relay: LinePhone

    def _create_Call(self, request: Any, sess_id: int) -> None:
        """Make the call object of an arriving INVITE (pyVoIP's hook for subclasses)."""
        call = LineCall(self, CallState.RINGING, request, sess_id, self.myIP,
                        sendmode=self.recvmode)
        call.relay = self.relay
        self.calls[request.headers["Call-ID"]] = call


class LinePhone:
    """One extension registered on the server through pyVoIP, reporting to `events` on `loop`."""

    def __init__(self, server: tuple[str, int], account: Account, events: PhoneEvents,
                 loop: asyncio.AbstractEventLoop, *, number: str = "") -> None:
        """Make pyVoIP's phone for the account; nothing is bound or sent before register."""
        self.account = account
        self.user = account.user
        self.number = number  # the number its calls are routed by ("": the dialled one)
        self.events = events
        self.loop = loop
        self._stopping = False
        self.phone = _Phone(server[0], server[1], account.user, account.password,
                            myIP=account.local_host, callCallback=self._ring,
                            sipPort=account.local_port, rtpPortLow=account.rtp_low,
                            rtpPortHigh=account.rtp_high)
        self.phone.relay = self

    def __repr__(self) -> str:
        """Name the extension and where it listens."""
        return f"<LinePhone {self.user}@{self.account.local_host}:{self.account.local_port}>"

    # --- blocking: run these in a thread ---------------------------------------------------------
    def register(self, timeout_s: float) -> None:
        """Bind the extension's socket and register it; raise LineError when it is not."""
        deadline = time.monotonic() + timeout_s
        # pyVoIP waits this long for each answer of the registrar, the first before start returns
        self.phone.sip.register_timeout = min(SIP_TIMEOUT_S, timeout_s)
        try:
            self.phone.start()  # the first REGISTER is answered (or not) before this returns
        except Exception as exc:  # pyVoIP raises what its socket or parser raised
            self._abandon()
            raise LineError(f"extension {self.user}: {exc}") from exc
        while time.monotonic() < deadline:
            status = self.phone.get_status()
            if status == PhoneStatus.REGISTERED:
                return
            if status in (PhoneStatus.FAILED, PhoneStatus.INACTIVE):
                break
            time.sleep(POLL_S)
        self._abandon()
        raise LineError(f"extension {self.user} was not registered within {timeout_s:g} s "
                        f"(the registrar refused it or did not answer)")

    def _abandon(self) -> None:
        """Give up an extension never registered: no more attempts, no unregistering, no socket."""
        self._stopping = True
        sip = self.phone.sip
        sip.NSD = False  # pyVoIP's register thread sees this and schedules no other attempt
        if sip.registerThread is not None:
            sip.registerThread.cancel()
        sip._close_sockets()

    def unregister(self) -> None:
        """Hang up the extension's calls, unregister it and close its socket."""
        self._stopping = True
        try:
            self.phone.stop()
        except Exception as exc:  # a registrar gone first: the socket is closed all the same
            log.info("extension %s did not unregister cleanly: %s", self.user, exc)
            self.phone.sip._close_sockets()

    def dial(self, number: str) -> LineCall:
        """Send an INVITE for `number` through the server; return once it is trying or ringing.

        pyVoIP waits for the first answer without a limit: run it in a thread, with one.
        """
        call = self.phone.call(number)
        # pyVoIP makes its own VoIPCall for calls it places: give it the guards and the relay
        # before the 200 arrives, as that answer is what starts its audio
        call.__class__ = LineCall
        call.relay = self
        return call

    # --- pyVoIP's threads -----------------------------------------------------------------------
    def _ring(self, call: LineCall) -> None:
        """pyVoIP's thread for an arriving call: hand it to the loop and wait until it is over."""
        done = threading.Event()
        self.post("arrived", self, call, done)
        # pyVoIP forgets a call once this thread ends (its BYE would go unheard): wait it out
        while not done.wait(WAIT_S):
            if self._stopping:
                return

    def post(self, event: str, *args: Any) -> None:
        """Run one of the events' methods on the loop (from any thread)."""
        handler: Callable[..., None] = getattr(self.events, event)
        try:
            self.loop.call_soon_threadsafe(handler, *args)
        except RuntimeError:  # the loop has closed: the node is stopping, nobody listens
            pass
