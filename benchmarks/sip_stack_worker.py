"""One SIP stack inside its own scratch virtualenv, driven by benchmarks/sip_stacks.py.

Runs with the venv's interpreter and imports nothing from this repository. Three modes:

    parse <stack>        read corpus file paths on stdin, print one JSON verdict per line
    rate <stack> <file>  parse one message over and over for about a second, print messages/s
    uas <stack> <port>   answer calls on 127.0.0.1:<port>, print one line per offered call

Stacks: aiosipua, sippy, pyvoip. A parse is "parsed" only when the stack's own entry point
gave a request whose mandatory fields (Via, From, To, Call-ID, CSeq) can be read through its
API, which is what a UAS needs before it may answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

# every UAS worker ends itself after this long, whatever the driver does
MAX_LIFETIME_S = 180.0


def parse_aiosipua(data: bytes) -> str:
    """Parse as aiosipua's UDP transport and UAS do before dispatching; return the Call-ID."""
    from aiosipua import SipMessage, SipRequest
    from aiosipua.message import missing_required_headers

    message = SipMessage.parse(data)
    if not isinstance(message, SipRequest):
        raise ValueError("not a request")
    missing = missing_required_headers(message)
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    # its structured headers are parsed when read: read the ones a UAS reads before answering
    message.via[0], message.cseq, message.from_addr, message.to_addr, message.content_length
    return str(message.call_id)


def parse_sippy(data: bytes) -> str:
    """Parse as sippy's SipTransactionManager.handleIncoming does; return the Call-ID."""
    from sippy.SipRequest import SipRequest

    if len(data) < 32:  # handleIncoming drops these before anything else
        raise ValueError("dropped: shorter than 32 bytes")
    request = SipRequest(data.decode())  # strict decode, as handleIncoming does
    request.getTIds()
    request.getHFBody("via").getBranch()
    request.getHFBody("cseq").getCSeq()
    request.getHFBody("from").getTag()
    request.getHFBody("to").getUrl()
    request.getBody()
    return str(request.getHFBody("call-id"))


def parse_pyvoip(data: bytes) -> str:
    """Parse with pyVoIP's SIPMessage, reading the fields its SIPClient reads; return the Call-ID."""
    import pyVoIP.VoIP  # noqa: F401  (importing pyVoIP.SIP first fails on its import cycle)
    from pyVoIP.SIP import SIPMessage, SIPMessageType

    message = SIPMessage(data)
    if message.type != SIPMessageType.MESSAGE:
        raise ValueError("not a request")
    headers = message.headers
    headers["Via"][0]["address"], headers["CSeq"]["check"], headers["From"]["tag"]
    headers["To"]["address"]
    return str(headers["Call-ID"])


PARSERS = {"aiosipua": parse_aiosipua, "sippy": parse_sippy, "pyvoip": parse_pyvoip}


def run_parse(stack: str) -> None:
    """Answer each corpus path on stdin with a JSON verdict line."""
    parse = PARSERS[stack]
    for line in sys.stdin:
        path = Path(line.strip())
        try:
            call_id = parse(path.read_bytes())
            verdict = {"verdict": "parsed", "call_id": call_id[:60]}
        except Exception as exc:  # any exception is the stack refusing the message
            verdict = {"verdict": "rejected", "error": f"{type(exc).__name__}: {exc}"[:160]}
        print(json.dumps({"name": path.stem, **verdict}), flush=True)


def run_rate(stack: str, path: str) -> None:
    """Print how many times a second the stack parses one message (best of three 0.4 s runs)."""
    parse = PARSERS[stack]
    data = Path(path).read_bytes()
    parse(data)
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.4:
            for _ in range(100):
                parse(data)
            count += 100
        best = max(best, count / (time.perf_counter() - start))
    print(json.dumps({"rate": best}), flush=True)


def say(event: str, call_id: str) -> None:
    """Tell the driver what the application saw."""
    print(f"{event} {call_id}", flush=True)


def user_of(uri: str) -> str:
    """Return the user part of a SIP URI ('ring', 'ivr', ...)."""
    return uri.split(":", 1)[-1].split("@", 1)[0]


SDP_ANSWER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              "m=audio 41000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
              "a=rtpmap:101 telephone-event/8000\r\n")


async def uas_aiosipua(port: int) -> None:
    """Answer with aiosipua: 180 then 200 after 100 ms, or only 180 for user 'ring'."""
    from aiosipua import SipUAS, UdpSipTransport, parse_sdp

    loop = asyncio.get_running_loop()
    uas = SipUAS(UdpSipTransport(local_addr=("127.0.0.1", port)))

    def on_invite(call) -> None:
        say("offered", call.call_id)
        call.ringing()
        if user_of(call.invite.uri) != "ring":
            loop.call_later(0.1, call.accept, parse_sdp(SDP_ANSWER))

    def on_reinvite(call) -> None:
        say("reinvite", call.call_id)
        call.accept(parse_sdp(SDP_ANSWER))

    uas.on_invite = on_invite
    uas.on_reinvite = on_reinvite
    uas.on_bye = lambda call, request: say("bye", call.call_id)
    uas.on_cancel = lambda request, addr: say("cancel", str(request.call_id))
    await uas.start()
    if rcvbuf := int(os.environ.get("SIP_UAS_RCVBUF", "0")):
        # the kernel's default (rmem_default, often 208 kB) drops a burst of INVITEs
        sock = uas.transport._udp_transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    say("ready", "-")
    await asyncio.sleep(MAX_LIFETIME_S)


def uas_sippy(port: int) -> None:
    """Answer with sippy's transaction manager: 180 then 200 after 100 ms, or only 180."""
    from sippy.Core.EventDispatcher import ED2
    from sippy.MsgBody import MsgBody
    from sippy.SipConf import SipConf
    from sippy.SipLogger import SipLogger
    from sippy.SipTransactionManager import RINGING, TRYING, SipTransactionManager
    from sippy.Time.Timeout import Timeout

    config = {"_sip_address": "127.0.0.1", "_sip_port": port,
              "_sip_logger": SipLogger("uas", logfile="/dev/null")}
    SipConf.my_address, SipConf.my_port = "127.0.0.1", port
    manager: SipTransactionManager

    def answer(request, transaction) -> None:
        if transaction.state in (TRYING, RINGING):  # not cancelled meanwhile
            manager.sendResponse(request.genResponse(200, "OK", MsgBody(SDP_ANSWER)), transaction)

    def on_request(request, transaction):
        method, call_id = request.getMethod(), str(request.getHFBody("call-id"))
        if method == "INVITE":
            in_dialog = request.getHFBody("to").getTag() is not None
            say("reinvite" if in_dialog else "offered", call_id)
            if in_dialog:
                return (request.genResponse(200, "OK", MsgBody(SDP_ANSWER)), None, None)
            request.getHFBody("to").genTag()  # one To tag for the 180 and the 200, as sippy's UA does
            if user_of(str(request.getRURI())) != "ring":
                Timeout(answer, 0.1, 1, request, transaction)
            return (request.genResponse(180, "Ringing"), lambda *a: say("cancel", call_id), None)
        if method == "BYE":
            say("bye", call_id)
            return (request.genResponse(200, "OK"), None, None)
        if method == "OPTIONS":
            return (request.genResponse(200, "OK"), None, None)
        return (request.genResponse(405, "Method Not Allowed"), None, None)

    manager = SipTransactionManager(config, on_request)
    Timeout(lambda: ED2.breakLoop(), MAX_LIFETIME_S, 1)
    say("ready", "-")
    ED2.loop()


def main() -> None:
    """Run the mode named on the command line."""
    logging.disable(logging.CRITICAL)
    mode, stack, *rest = sys.argv[1:]
    if mode == "parse":
        run_parse(stack)
    elif mode == "rate":
        run_rate(stack, rest[0])
    elif mode == "uas" and stack == "aiosipua":
        asyncio.run(uas_aiosipua(int(rest[0])))
    elif mode == "uas" and stack == "sippy":
        uas_sippy(int(rest[0]))
    else:
        raise SystemExit(f"no {mode} for {stack}")


if __name__ == "__main__":
    main()
