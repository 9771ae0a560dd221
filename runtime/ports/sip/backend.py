"""The SIP backend: a UAS on aiosipua's RFC 3261 stack, with our own media path.

`SipBackend` listens on one UDP address (`[sip] listen`, `serve --sip`) and answers INVITEs
itself, with no PBX or registrar. An INVITE is routed by its Request-URI's user part
(routes.json `voice`): an unknown number gets 404, a full pool 486, an offer without a common
G.711 law 488; otherwise the call rings on a port (180) and the routed flow answers it (200
with our SDP). CANCEL while ringing gets 487 and no answer; BYE, an unanswered 2xx (no ACK) or
RTP silence for `[sip] rtp_timeout_s` ends the call as the caller's. Keys come as RFC 4733
telephone-events from the negotiated address, or as SIP INFO.

aiosipua does the transactions, dialogs and SDP (docs/decisions/sip-stack.md); what it leaves
to us is guarded in `stack`. Refused INVITEs are not kept in its tables (a flood sends no ACKs).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiosipua import (DialogState, IncomingCall, SdpNegotiationError, SipRequest, negotiate_sdp,
                      parse_address)

from runtime.errors import EngineError
from runtime.media import PAYLOAD_TYPES, MediaLibrary, decode

from ..pool import NoFreePort
from ..port import CONNECTED, NULL, CallInfo, Inbound, PortBackend
from .addresses import local_address, split_hostport, user_part, wildcard
from .media import PTIME_S, MediaSession, Negotiated, Pacer
from .port import SipPort
from .stack import Transport, Uas

log = logging.getLogger(__name__)
DEFAULT_LISTEN = "127.0.0.1:5060"
DEFAULT_PORTS = 100
DEFAULT_RTP_TIMEOUT_S = 30.0
WATCH_S = 1.0  # how often calls are checked for RTP silence


class SipListenError(EngineError):
    """The SIP address cannot be listened on (taken, not local, not HOST:PORT)."""

    code = "sip_listen_failed"


class SipBackend(PortBackend):
    """Answers SIP calls on `listen` with `ports` ports and speaks through `prompts`."""

    name = "sip"

    def __init__(self, listen: str = DEFAULT_LISTEN, ports: int = DEFAULT_PORTS, *,
                 prompts: MediaLibrary, rtp_host: str | None = None,
                 rtp_timeout_s: float = DEFAULT_RTP_TIMEOUT_S, ring_s: float = 0.0,
                 codecs: tuple[str, ...] = ("PCMU", "PCMA"), advertise: str | None = None,
                 transfer_domain: str | None = None) -> None:
        super().__init__()
        self.host, self.port = split_hostport(listen)
        self.rtp_host = rtp_host or self.host
        self.rtp_family = 6 if ":" in self.rtp_host else 4
        # the address callers are told (Contact, Via, SDP): never a wildcard, which in SDP means
        # "hold" (RFC 3264) and in a Contact nowhere
        self.advertise = advertise or (
            local_address(self.rtp_family) if wildcard(self.rtp_host) or wildcard(self.host)
            else None)
        self.rtp_timeout_s = rtp_timeout_s
        self.ring_s = ring_s  # how long a call rings before the flow answers it
        self.transfer_domain = transfer_domain  # where a `number` target is called (a PBX)
        self.payload_types = [PAYLOAD_TYPES[c] for c in codecs]
        self.prompts = prompts
        self.ports = [SipPort(f"sip{n}", self) for n in range(1, ports + 1)]
        self.pacer = Pacer()
        self._inbound: Inbound | None = None
        self._uas: Uas | None = None
        self._by_call: dict[str, SipPort] = {}  # Call-ID -> the port its call is on
        self._tasks: set[asyncio.Task] = set()
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> SipBackend:
        """Build the backend from `[sip]`, speaking through the workspace's prompt library."""
        sip = settings.get("sip", {})
        return cls(sip.get("listen") or DEFAULT_LISTEN, sip.get("ports", DEFAULT_PORTS),
                   prompts=MediaLibrary(root, settings), rtp_host=sip.get("rtp_host"),
                   rtp_timeout_s=sip.get("rtp_timeout_s", DEFAULT_RTP_TIMEOUT_S),
                   ring_s=sip.get("ring_s", 0.0), advertise=sip.get("advertise"),
                   transfer_domain=sip.get("transfer_domain"),
                   codecs=tuple(sip.get("codecs", ("PCMU", "PCMA"))))

    @property
    def contact_host(self) -> str:
        """Return the host our Contact, Via and REFER name (the advertised one)."""
        return self.advertise or self.host

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"udp:{host}:{self.port}"

    async def start(self, inbound: Inbound) -> None:
        """Listen on the SIP address; with port 0 the system picks one (see `address`)."""
        self._inbound = inbound
        transport = Transport(local_addr=(self.host, self.port))
        uas = Uas(self, transport)
        uas.on_invite = self._invited
        uas.on_bye = lambda call, request: self._caller_left(call.call_id)
        uas.on_cancel = lambda request, addr: self._cancelled(uas, request)
        uas.on_ack_timeout = self._unacknowledged
        uas.on_reinvite = self._reinvited
        uas.on_transfer_progress = lambda call_id, status, reason: (
            self.transfer_progress(call_id, status))
        try:
            await uas.start()
        except OSError as exc:
            raise SipListenError(f"cannot listen for SIP on {self.address}: "
                                 f"{exc.strerror or exc}") from exc
        self.port = transport.local_addr[1]
        uas.advertised_addr = (self.contact_host, self.port)
        self._uas = uas
        loop = asyncio.get_running_loop()
        self._watch = loop.call_later(WATCH_S, self._check_silence)

    async def stop(self) -> None:
        """Hang up every call (BYE), stop the media clock and close the socket."""
        if self._watch is not None:
            self._watch.cancel()
        for port in self.ports:
            if port.state != NULL:
                await port.hangup()
        for task in tuple(self._tasks):
            task.cancel()
        self.pacer.stop()
        if self._uas is not None:
            await self._uas.stop()
            self._uas = None

    def close(self) -> None:
        self.pacer.stop()

    # --- calls arriving ----------------------------------------------------------------------
    def _invited(self, call: IncomingCall) -> None:
        inbound = self._inbound
        called = user_part(call.invite.uri)
        caller = self._caller(call)
        try:
            port = inbound.offer(CallInfo("inbound", caller=caller, called=called))
        except NoFreePort:
            self._refuse(call, 486, "Busy Here")
            return
        except EngineError:  # UnknownNumber
            self._refuse(call, 404, "Not Found")
            return
        self._by_call[call.call_id] = port
        task = asyncio.get_running_loop().create_task(self._ring(call, port, caller, called))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ring(self, call: IncomingCall, port: SipPort, caller: str, called: str) -> None:
        """Open the call's media, answer its offer and ring it on its port; refuse it on failure.

        Whatever goes wrong here, the INVITE gets a final answer and the port comes back: 488
        for an offer we cannot answer, 500 for anything else (no socket left, say).
        """
        media = MediaSession(self.pacer, port._press)
        try:
            negotiated, answer = await self._negotiate(call, media)
        except SdpNegotiationError as exc:
            log.info("call %s refused: %s", call.call_id, exc)
            self._unring(call, port, media, 488, "Not Acceptable Here")
            return
        except asyncio.CancelledError:
            self._unring(call, port, media, 503, "Service Unavailable")
            raise
        except Exception:
            log.exception("call %s could not be rung", call.call_id)
            self._unring(call, port, media, 500, "Server Internal Error")
            return
        if self._by_call.get(call.call_id) is not port:  # cancelled while the socket opened
            media.close()
            self._inbound.refused(port)
            return
        try:
            port.ring(call, media, negotiated, answer,
                      CallInfo("inbound", caller=caller, called=called,
                               offered_at=port.clock.now()))
            call.ringing()
        except Exception:
            log.exception("call %s could not be rung", call.call_id)
            await port.hangup()
            self._unring(call, port, None, 500, "Server Internal Error")
            return
        self._inbound.connect(port)

    async def _negotiate(self, call: IncomingCall,
                         media: MediaSession) -> tuple[Negotiated, object]:
        """Open the media socket and answer the call's offer; raise SdpNegotiationError."""
        rtp_port = await media.bind(self.rtp_host)
        return self._answer(call.sdp_offer, rtp_port)

    def _answer(self, offer: Any, rtp_port: int,
                session_id: str | None = None) -> tuple[Negotiated, object]:
        """Answer an SDP offer from our RTP port; raise SdpNegotiationError."""
        remote = offer.rtp_address if offer is not None else None
        if offer is None or remote is None:
            raise SdpNegotiationError("the INVITE offers no audio (late offers are not "
                                      "supported)")
        try:  # the pacer sends there every 20 ms: a name or another family would fail each time
            address = ipaddress.ip_address(remote[0])
        except ValueError:
            raise SdpNegotiationError(f"the offer's address {remote[0]!r} is not an IP "
                                      f"address") from None
        if address.version != self.rtp_family or not 0 < remote[1] < 65536:
            raise SdpNegotiationError(f"the offer's media address {remote[0]}:{remote[1]} "
                                      f"cannot be reached from our RTP sockets")
        if offer.audio.proto.upper() != "RTP/AVP":  # SRTP (RTP/SAVP), DTLS...: not ours
            raise SdpNegotiationError(f"the offer's media is {offer.audio.proto}; only plain "
                                      f"RTP/AVP is answered")
        events = frozenset(c.payload_type for c in offer.audio.codecs
                           if c.encoding_name.lower() == "telephone-event")
        answer, payload_type = negotiate_sdp(
            offer, self.rtp_host, rtp_port, supported_codecs=self.payload_types,
            dtmf_payload_type=min(events) if events else 101, advertised_ip=self.advertise,
            session_id=session_id)
        for media in answer.media:  # we always send 20 ms packets, whatever the offer asked
            if media.media == "audio" and media.port:
                media.attributes["ptime"] = [str(int(PTIME_S * 1000))]
        direction = offer.audio.direction
        # the caller on hold hears nothing (sendonly, inactive, or no address to send to) and
        # sends nothing when it only listens (recvonly, inactive)
        held = direction in ("sendonly", "inactive") or address.is_unspecified
        quiet = direction in ("recvonly", "inactive") or address.is_unspecified
        return Negotiated((str(address), remote[1]), payload_type, events, held, quiet), answer

    def _reinvited(self, call: IncomingCall) -> None:
        """Answer a re-INVITE (hold, resume, a new media address, a session refresh): 200 with
        our SDP (its version one up) when the offer can be answered, else 488 and no change."""
        port = self._by_call.get(call.call_id)
        media = port.media if port is not None else None
        if port is None or media is None or port.sdp_answer is None:
            self._uas._send_error(call.invite, 481, "Call/Transaction Does Not Exist")
            return
        previous = port.sdp_answer
        answer = previous
        if call.sdp_offer is not None:  # without one, our offer goes in the 200 (answer in ACK)
            try:
                negotiated, answer = self._answer(call.sdp_offer, media.local_port,
                                                  previous.origin.session_id)
            except SdpNegotiationError as exc:
                log.info("re-INVITE on call %s refused: %s", call.call_id, exc)
                self._uas._send_error(call.invite, 488, "Not Acceptable Here")
                return
            answer.origin.session_version = str(int(previous.origin.session_version or 0) + 1)
            media.start(negotiated)  # a new address, law or hold: from the next packet on
        port.sdp_answer = answer
        call.accept(answer)

    def _unring(self, call: IncomingCall, port: SipPort, media: MediaSession | None,
                status: int, reason: str) -> None:
        """Give back the port of a call that will not ring, and refuse the call."""
        if media is not None:
            media.close()
        if self._by_call.get(call.call_id) is port:
            del self._by_call[call.call_id]
        if port.state == NULL:
            self._inbound.refused(port)
        if call.dialog.state != DialogState.TERMINATED:  # a CANCEL has already answered it
            self._refuse(call, status, reason)

    def _refuse(self, call: IncomingCall, status: int, reason: str) -> None:
        """Answer an INVITE with a final refusal and keep nothing of it.

        The stack would keep the call until the caller's ACK; a flood of INVITEs sends none.
        Kept or not, the ACK is absorbed, and the INVITE sent again is refused again.
        """
        call.reject(status, reason)
        uas = self._uas
        if uas is not None and uas._calls.get(call.call_id) is call:
            uas._calls.pop(call.call_id, None)
            uas._remove_invite_transaction(call.invite)

    @staticmethod
    def _caller(call: IncomingCall) -> str:
        try:
            return unquote(parse_address(call.invite.get_header("from") or "").uri.user or "")
        except Exception:  # a From the stack accepted but cannot take apart: no number
            return ""

    def _unacknowledged(self, call: IncomingCall) -> None:
        """Our 200 was never ACKed: end the call, with a BYE (RFC 3261 13.3.1.4)."""
        port = self._by_call.get(call.call_id)
        if port is not None and port.dialog is call and port.state == CONNECTED:
            call.hangup()
        self._caller_left(call.call_id)

    def _cancelled(self, uas: Uas, request: SipRequest) -> None:
        uas.cancelled(request)
        self._caller_left(request.call_id or "")

    # --- during a call -------------------------------------------------------------------------
    def _caller_left(self, call_id: str) -> None:
        port = self._by_call.get(call_id)
        if port is None:
            return
        if port.state == NULL:  # still opening its media: _ring sees it gone and gives it back
            self._by_call.pop(call_id, None)
            return
        port.caller_gone()

    def pressed(self, call_id: str, key: str) -> None:
        """A key arrived by SIP INFO."""
        port = self._by_call.get(call_id)
        if port is not None:
            port._press(key)

    def transfer_progress(self, call_id: str, status: int) -> None:
        """A NOTIFY (or a refusal of the REFER) said how a transfer goes."""
        port = self._by_call.get(call_id)
        if port is not None:
            port.transfer_progress(status)

    def transfer_uri(self, target: dict) -> str | None:
        """Return the SIP URI a transfer target names; None when it names none."""
        if target.get("uri"):
            return str(target["uri"])
        if target.get("number"):
            return f"sip:{target['number']}@{self.transfer_domain or self.contact_host}"
        return None

    def refer(self, port: SipPort, uri: str) -> None:
        """Send REFER on the port's dialog; NOTIFYs then report the transfer."""
        dialog = port.dialog
        host = self.contact_host
        request = dialog.dialog.create_request("REFER", via_host=host, via_port=self.port)
        request.headers.set_single("Refer-To", f"<{uri}>")
        request.headers.set_single("Contact", f"<sip:{host}:{self.port}>")
        self._uas.transport.send(request, dialog.source_addr)

    def forget(self, port: SipPort) -> None:
        """The port's call is over: stop routing its Call-ID to it, and the stack too.

        aiosipua lets go of a call when the caller's BYE or CANCEL arrives; one we hang up
        (BYE, or a refusal after ringing) it would keep for good.
        """
        dialog = port.dialog
        if dialog is None:
            return
        if self._by_call.get(dialog.call_id) is port:
            del self._by_call[dialog.call_id]
        uas = self._uas
        if uas is not None and uas._calls.get(dialog.call_id) is dialog:
            dialog._stop_retransmissions()
            uas._calls.pop(dialog.call_id, None)
            uas._remove_invite_transaction(dialog.invite)

    def decode(self, audio: bytes, codec: str) -> bytes:
        """Return G.711 audio as 16-bit linear PCM."""
        return decode(audio, codec)

    def _check_silence(self) -> None:
        now = time.monotonic()
        for port in self.ports:
            media = port.media
            if port.state == CONNECTED and media is not None and not media.quiet \
                    and now - media.heard_at > self.rtp_timeout_s:
                log.info("port %s: no RTP for %g s, hanging up", port.id, self.rtp_timeout_s)
                port.dialog.hangup()  # BYE: the caller may still be there, unheard
                port.caller_gone()
        self._watch = asyncio.get_running_loop().call_later(WATCH_S, self._check_silence)
