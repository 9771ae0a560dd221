"""aiosipua's UDP transport and UAS, with what the SIP backend must guard that they leave to us.

aiosipua does the transactions, dialogs and SDP (docs/decisions/sip-stack.md). Guarded here:
every datagram is screened before it is parsed (`screen`), a reply that cannot be sent never
closes the socket, a retransmitted INVITE never starts a second call (nor one sent again after
its CANCEL), another INVITE of a ringing call is a merged request, an SDP that does not parse
gets 400, a CANCEL after the answer changes nothing, Record-Route reaches the INVITE's answers,
and INFO is answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from aiosipua import DialogState, SipMessage, SipRequest, SipUAS, UdpSipTransport, parse_sdp
from aiosipua.transport import _UdpProtocol
from aiosipua.uas_requests import handle_cancel

from .dtmf import info_key
from .screen import screen

log = logging.getLogger(__name__)
USER_AGENT = "Callwright"
RECEIVE_BUFFER = 4 * 1024 * 1024
CANCELLED_KEPT = 4096  # INVITE branches ended by CANCEL, remembered for their retransmissions
CANCELLED_S = 32.0  # Timer H (64 x T1): a retransmission of the INVITE comes before it


class CallEvents(Protocol):
    """What the UAS tells its backend beyond aiosipua's callbacks."""

    def pressed(self, call_id: str, key: str) -> None:
        """A key arrived by SIP INFO."""

    def transfer_progress(self, call_id: str, status: int) -> None:
        """A refusal of our REFER said how a transfer went."""


class _Protocol(_UdpProtocol):
    """aiosipua's datagram protocol, minus its check that the transport subclasses
    asyncio.DatagramTransport: Python 3.11's own (selector) datagram transport does not."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._udp_transport = transport


class Transport(UdpSipTransport):
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


class Uas(SipUAS):
    """aiosipua's UAS with the guards our backend needs (see the module's docstring)."""

    def __init__(self, backend: CallEvents, transport: Transport) -> None:
        super().__init__(transport, user_agent=USER_AGENT)
        self.backend = backend
        self._handlers["INFO"] = self._handle_info
        self._handlers["CANCEL"] = self._handle_cancel
        transport.refuse = self._send_error
        self._cancelled: OrderedDict[str, float] = OrderedDict()  # branch -> when

    def _handle_invite(self, request: SipRequest, addr: tuple[str, int]) -> None:
        branch = branch_of(request)
        if branch is not None and self._was_cancelled(branch):
            # the INVITE again after its CANCEL (our 487 was lost): 487 again, not a new call
            self._send_error(request, 487, "Request Terminated")
            return
        existing = self._calls.get(request.call_id or "")
        if existing is not None and branch is not None and branch == branch_of(existing.invite):
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
        branch = branch_of(request)
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
        branch = branch_of(request)
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


def branch_of(request: SipRequest) -> str | None:
    """Return the branch of a request's top Via (its transaction), or None."""
    try:
        vias = request.via
    except ValueError:
        return None
    return vias[0].branch if vias else None
