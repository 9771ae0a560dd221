"""The SIP backend: a UAS on aiosipua's RFC 3261 stack, with our own media path.

`SipBackend` listens on one UDP address (`[sip] listen`, `serve --sip`) and answers INVITEs
itself, with no PBX or registrar. An INVITE is routed by its Request-URI's user part
(routes.json `voice`): an unknown number gets 404, a full pool 486, an offer without a common
G.711 law 488; otherwise the call rings on a port (180) and the routed flow answers it (200
with our SDP). CANCEL while ringing gets 487 and no answer; BYE, an unanswered 2xx (no ACK) or
RTP silence for `[sip] rtp_timeout_s` ends the call as the caller's. Keys come as RFC 4733
telephone-events from the negotiated address, or as SIP INFO.

aiosipua does the transactions, dialogs and SDP (docs/decisions/sip-stack.md). What it leaves
to us is guarded here: a retransmitted INVITE must not start a second call, refused INVITEs
that are never ACKed must not stay in its tables, and INFO is ours to answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiosipua import (DialogState, IncomingCall, SdpNegotiationError, SipMessage, SipRequest,
                      SipUAS, UdpSipTransport, negotiate_sdp, parse_address, parse_sdp, parse_uri)
from aiosipua.transport import _UdpProtocol
from aiosipua.uas_requests import handle_cancel

from runtime.errors import EngineError
from runtime.media import PAYLOAD_TYPES, MediaLibrary, decode

from ..pool import NoFreePort
from ..port import CONNECTED, NULL, CallInfo, Inbound, PortBackend
from .dtmf import info_key
from .media import PTIME_S, MediaSession, Negotiated, Pacer
from .port import SipPort
from .screen import screen

log = logging.getLogger(__name__)
DEFAULT_LISTEN = "127.0.0.1:5060"
DEFAULT_PORTS = 100
DEFAULT_RTP_TIMEOUT_S = 30.0
USER_AGENT = "Callwright"
WATCH_S = 1.0  # how often calls are checked for RTP silence
RECEIVE_BUFFER = 4 * 1024 * 1024
CANCELLED_KEPT = 4096  # INVITE branches ended by CANCEL, remembered for their retransmissions
CANCELLED_S = 32.0  # Timer H (64 x T1): a retransmission of the INVITE comes before it


class SipListenError(EngineError):
    """The SIP address cannot be listened on (taken, not local, not HOST:PORT)."""

    code = "sip_listen_failed"


def split_hostport(value: str) -> tuple[str, int]:
    """Return (host, port) of `HOST:PORT` (`[::1]:5060` for IPv6); raise ValueError."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (for example 127.0.0.1:5060)")
    return host.strip("[]"), int(port)


def _wildcard(host: str) -> bool:
    """Say whether a listening host means every address (`0.0.0.0`, `::`)."""
    return host in ("", "0.0.0.0", "::")


def local_address(family: int = 4) -> str:
    """Return this machine's address on its default route (no packet is sent), else loopback."""
    probe, loopback = ("192.0.2.1", "127.0.0.1") if family == 4 else ("2001:db8::1", "::1")
    try:
        with socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6,
                           socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))  # a UDP connect only picks the route and its source
            return sock.getsockname()[0]
    except OSError:
        return loopback


def user_part(uri: str) -> str:
    """Return the user part of a SIP URI, unescaped (`sip:%2B4930@host` -> `+4930`)."""
    try:
        return unquote(parse_uri(uri).user or "")
    except Exception:  # the stack's parser on a URI it cannot read: no user, no route
        return ""


class _Protocol(_UdpProtocol):
    """aiosipua's datagram protocol, minus its check that the transport subclasses
    asyncio.DatagramTransport: Python 3.11's own (selector) datagram transport does not."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._udp_transport = transport


class _Transport(UdpSipTransport):
    """aiosipua's UDP transport on `_Protocol`, screening each datagram before it parses it."""

    refuse: Callable[[SipRequest, int, str], None] | None = None
    refused = 0  # datagrams screened out
    unsendable = 0  # messages that could not go out (an address no socket can send to)
    # Call-ID -> the Record-Route of its INVITE: the stack leaves them out of its responses
    record_routes: dict[str, list[str]]

    async def start(self) -> None:
        self.record_routes = {}
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self),
                                                           local_addr=self.local_addr)
        self._udp_transport = transport
        self.local_addr = transport.get_extra_info("sockname")[:2]  # port 0: the one it got
        sock = transport.get_extra_info("socket")
        if sock is not None:  # the default buffer holds ~170 INVITEs of a burst; this, thousands
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)

    def send(self, message: Any, addr: tuple[str, int]) -> None:
        """Send, or log and drop what cannot go out: a reply must never close the socket."""
        try:
            super().send(message, addr)
        except (OSError, ValueError, OverflowError, TypeError) as exc:
            self.unsendable += 1
            log.info("SIP message to %r not sent: %s", addr, exc)

    def send_reply(self, response: Any) -> None:
        """Send a response where its Via says; an INVITE's carries the INVITE's Record-Route."""
        cseq = response.cseq
        if cseq is not None and cseq.method == "INVITE" and 100 < response.status_code < 300:
            routes = self.record_routes.get(response.call_id or "")
            if routes and not response.headers.get("record-route"):
                for route in routes:
                    response.headers.append("Record-Route", route)
        try:
            super().send_reply(response)
        except (ValueError, OverflowError) as exc:  # a Via nobody can answer to
            self.unsendable += 1
            log.info("SIP response not sent: %s", exc)

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        refusal = screen(data)
        if refusal is None:
            super()._dispatch(data, addr)
            return
        self.refused += 1
        log.debug("SIP datagram from %s refused: %s", addr, refusal.reason)
        if refusal.status is None or self.refuse is None:
            return
        try:
            request = SipMessage.parse(data)
        except Exception:  # the stack cannot read it either: nothing to answer
            return
        try:
            if isinstance(request, SipRequest) and request.via:
                self.refuse(request, refusal.status, refusal.reason)
        except Exception:  # answering the refusal failed (a Via it cannot read): drop it
            log.debug("refusal of a datagram from %s not sent", addr, exc_info=True)


class _Uas(SipUAS):
    """aiosipua's UAS with the guards our backend needs (see the module's docstring)."""

    def __init__(self, backend: SipBackend, transport: _Transport) -> None:
        super().__init__(transport, user_agent=USER_AGENT)
        self.backend = backend
        self._handlers["INFO"] = self._handle_info
        self._handlers["CANCEL"] = self._handle_cancel
        transport.refuse = self._send_error
        self._cancelled: OrderedDict[str, float] = OrderedDict()  # branch -> when

    def _handle_invite(self, request: SipRequest, addr: tuple[str, int]) -> None:
        branch = _branch(request)
        if branch is not None and self._was_cancelled(branch):
            # the INVITE again after its CANCEL (our 487 was lost): 487 again, not a new call
            self._send_error(request, 487, "Request Terminated")
            return
        existing = self._calls.get(request.call_id or "")
        if existing is not None and branch is not None and branch == _branch(existing.invite):
            # the same INVITE again (a reply of ours crossed it or was lost): a second call on
            # one transaction would take a second port and answer twice. Ringing, say Trying
            # again; answered, the 200 is retransmitted until the ACK anyway.
            if existing.dialog.state != DialogState.CONFIRMED:
                existing.trying()
            return
        if existing is not None and existing.dialog.state != DialogState.CONFIRMED:
            # another INVITE of the same call while it rings: a merged request (RFC 3261 8.2.2.2)
            self._send_error(request, 482, "Loop Detected")
            return
        if request.body and request.content_type == "application/sdp":
            try:
                parse_sdp(request.text)
            except Exception:  # the stack would raise after keeping the transaction, unanswered
                self._send_error(request, 400, "Bad SDP")
                return
        if existing is None:
            routes = request.headers.get("record-route")
            if routes:
                self.transport.record_routes[request.call_id or ""] = list(routes)
        super()._handle_invite(request, addr)

    def _handle_cancel(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """A CANCEL of an INVITE already answered does nothing but get its 200 (RFC 3261 9.2);
        the stack would drop the call, unannounced. Any other goes to the stack."""
        branch = _branch(request)
        transaction = self.transactions.get_server(branch, "INVITE") if branch else None
        call = self._calls.get(transaction.request.call_id or "") if (
            transaction is not None and transaction.request is not None) else None
        if call is not None and call._answered:
            response = call.dialog.create_response(request, 200, "OK")
            response.headers.set_single("User-Agent", USER_AGENT)
            self.transport.send_reply(response)
            return
        handle_cancel(self, request, addr)

    def cancelled(self, request: SipRequest) -> None:
        """Remember the branch of an INVITE a CANCEL ended, for its retransmissions."""
        branch = _branch(request)
        if branch is None:
            return
        self._cancelled[branch] = time.monotonic()
        while len(self._cancelled) > CANCELLED_KEPT:
            self._cancelled.popitem(last=False)

    def _was_cancelled(self, branch: str) -> bool:
        now = time.monotonic()
        while self._cancelled and next(iter(self._cancelled.values())) < now - CANCELLED_S:
            self._cancelled.popitem(last=False)
        return branch in self._cancelled

    def _handle_info(self, request: SipRequest, addr: tuple[str, int]) -> None:
        call = self._calls.get(request.call_id or "")
        if call is None:
            self._send_error(request, 481, "Call/Transaction Does Not Exist")
            return
        if not self._validate_in_dialog(call.dialog, request):
            return
        response = call.dialog.create_response(request, 200, "OK")
        response.headers.set_single("User-Agent", USER_AGENT)
        self.transport.send_reply(response)
        key = info_key(request.content_type, request.text)
        if key is not None:
            self.backend.pressed(call.call_id, key)

    def _on_message(self, msg: Any, addr: tuple[str, int]) -> None:
        if isinstance(msg, SipRequest):
            super()._on_message(msg, addr)
            return
        # a response: to a REFER of ours (a refusal ends that transfer), or nothing we sent
        cseq = msg.cseq
        if cseq is not None and cseq.method == "REFER" and msg.status_code >= 300:
            self.backend.transfer_progress(msg.call_id or "", msg.status_code)


def _branch(request: SipRequest) -> str | None:
    """Return the branch of a request's top Via (its transaction), or None."""
    try:
        vias = request.via
    except ValueError:
        return None
    return vias[0].branch if vias else None


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
            local_address(self.rtp_family) if _wildcard(self.rtp_host) or _wildcard(self.host)
            else None)
        self.rtp_timeout_s = rtp_timeout_s
        self.ring_s = ring_s  # how long a call rings before the flow answers it
        self.transfer_domain = transfer_domain  # where a `number` target is called (a PBX)
        self.payload_types = [PAYLOAD_TYPES[c] for c in codecs]
        self.prompts = prompts
        self.ports = [SipPort(f"sip{n}", self) for n in range(1, ports + 1)]
        self.pacer = Pacer()
        self._inbound: Inbound | None = None
        self._uas: _Uas | None = None
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
        transport = _Transport(local_addr=(self.host, self.port))
        uas = _Uas(self, transport)
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
            port.negotiated = negotiated
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

    def _cancelled(self, uas: _Uas, request: SipRequest) -> None:
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
