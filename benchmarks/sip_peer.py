"""A scripted SIP peer on plain UDP sockets (127.0.0.1 only) and the UAS checks it runs.

Imported by benchmarks/sip_stacks.py. Every wait is bounded; nothing here starts a process.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SDP_OFFER = ("v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n")


@dataclass
class Reply:
    """One response the peer received, with the fields the checks look at."""

    code: int
    method: str
    call_id: str
    to_tag: str


def parse_reply(data: bytes) -> Reply | None:
    """Read a response's status code, CSeq method, Call-ID and To tag; None for anything else."""
    text = data.decode("utf-8", "replace")
    match = re.match(r"SIP/2\.0 (\d{3})", text)
    if not match:
        return None

    def header(*names: str) -> str:
        for name in names:
            found = re.search(rf"^{name}\s*:\s*(.*)$", text, re.I | re.M)
            if found:
                return found.group(1).strip()
        return ""

    tag = re.search(r";\s*tag=([^;>\s]+)", header("To", "t"))
    cseq = header("CSeq").split()
    return Reply(int(match.group(1)), cseq[-1] if cseq else "", header("Call-ID", "i"),
                 tag.group(1) if tag else "")


class Peer:
    """A UDP socket on 127.0.0.1 that sends requests to one UAS and gathers the replies."""

    def __init__(self, uas_port: int) -> None:
        self.uas = ("127.0.0.1", uas_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # room for the answers to a burst of INVITEs (the kernel caps it at rmem_max)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Send one datagram to the UAS."""
        self.sock.sendto(data, self.uas)

    def collect(self, seconds: float, call_id: str = "") -> list[Reply]:
        """Return the responses that arrive within `seconds` (of one call, when given)."""
        replies: list[Reply] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(70000)
            except (TimeoutError, OSError):
                break
            reply = parse_reply(data)
            if reply is not None and (not call_id or reply.call_id == call_id):
                replies.append(reply)
        return replies

    def request(self, method: str, user: str, call_id: str, branch: str, cseq: int,
                to_tag: str = "", body: str = "", cseq_method: str = "") -> bytes:
        """Build a request from this peer to the UAS."""
        to = f"<sip:{user}@127.0.0.1:{self.uas[1]}>" + (f";tag={to_tag}" if to_tag else "")
        lines = [f"{method} sip:{user}@127.0.0.1:{self.uas[1]} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bK-{branch}",
                 "Max-Forwards: 70", f"From: <sip:peer@127.0.0.1:{self.port}>;tag=peer-{call_id}",
                 f"To: {to}", f"Call-ID: {call_id}", f"CSeq: {cseq} {cseq_method or method}",
                 f"Contact: <sip:peer@127.0.0.1:{self.port}>"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def codes(replies: list[Reply], method: str = "") -> list[int]:
    """Return the status codes of the replies, of one CSeq method when given."""
    return [r.code for r in replies if not method or r.method == method]


Check = tuple[bool | None, str]


def check_call(peer: Peer, run: str) -> dict[str, Check]:
    """INVITE -> 100/180/200, 200 retransmitted until ACK, re-INVITE, BYE -> 200."""
    cid = f"call-{run}"
    peer.send(peer.request("INVITE", "ivr", cid, f"{run}-1", 1, body=SDP_OFFER))
    first = peer.collect(1.9, cid)
    got = codes(first, "INVITE")
    ok = [r for r in first if r.code == 200]
    out: dict[str, Check] = {
        "INVITE -> 100/180/200": (180 in got and 200 in got, ",".join(map(str, got)) or "none"),
        "200 retransmitted until ACK": (len(ok) >= 2, f"{len(ok)} x 200 in 1.9 s")}
    if not ok:
        return out
    tag = ok[0].to_tag
    peer.send(peer.request("ACK", "ivr", cid, f"{run}-ack1", 1, to_tag=tag))
    after = codes(peer.collect(2.2, cid), "INVITE")
    out["ACK stops the 200s"] = (after.count(200) == 0, f"{after.count(200)} x 200 after ACK")
    peer.send(peer.request("INVITE", "ivr", cid, f"{run}-2", 2, to_tag=tag, body=SDP_OFFER))
    re_codes = codes(peer.collect(0.6, cid), "INVITE")
    out["re-INVITE in dialog -> 200"] = (200 in re_codes, ",".join(map(str, re_codes)) or "none")
    peer.send(peer.request("ACK", "ivr", cid, f"{run}-ack2", 2, to_tag=tag))
    peer.send(peer.request("BYE", "ivr", cid, f"{run}-3", 3, to_tag=tag))
    bye = codes(peer.collect(0.6, cid), "BYE")
    out["BYE -> 200"] = (200 in bye, ",".join(map(str, bye)) or "none")
    return out


def check_cancel(peer: Peer, run: str) -> dict[str, Check]:
    """CANCEL while ringing -> 200 for CANCEL and 487 for the INVITE, 487 kept up until ACK."""
    cid = f"cancel-{run}"
    peer.send(peer.request("INVITE", "ring", cid, f"{run}-c", 1, body=SDP_OFFER))
    peer.collect(0.4, cid)
    peer.send(peer.request("CANCEL", "ring", cid, f"{run}-c", 1))
    replies = peer.collect(1.7, cid)
    cancel, invite = codes(replies, "CANCEL"), codes(replies, "INVITE")
    out: dict[str, Check] = {"CANCEL while ringing -> 200 + 487": (
        200 in cancel and 487 in invite, f"CANCEL {cancel or 'none'}, INVITE {invite or 'none'}")}
    finals = [r for r in replies if r.code == 487]
    out["487 retransmitted until ACK"] = (len(finals) >= 2, f"{len(finals)} x 487 in 1.7 s")
    if finals:
        peer.send(peer.request("ACK", "ring", cid, f"{run}-c", 1, to_tag=finals[0].to_tag))
        late = codes(peer.collect(1.2, cid), "INVITE").count(487)
        out["ACK stops the 487s"] = (late == 0, f"{late} x 487 after ACK")
    return out


def check_retransmitted_invite(peer: Peer, run: str, offers: Callable[[str], int]) -> dict[str, Check]:
    """A retransmitted INVITE (same branch) is absorbed: one call, one To tag."""
    out: dict[str, Check] = {}
    for label, user, wait in (("while ringing", "ring", 0.3), ("after its 200, before ACK", "ivr", 0.4)):
        cid = f"retrans-{user}-{run}"
        invite = peer.request("INVITE", user, cid, f"{run}-r{user}", 1, body=SDP_OFFER)
        peer.send(invite)
        replies = peer.collect(wait, cid)
        peer.send(invite)
        replies += peer.collect(0.6, cid)
        tags = {r.to_tag for r in replies if r.code > 100 and r.to_tag}
        offered = offers(cid)
        # a retransmission must be absorbed: no second call, and no error answer to it
        out[f"retransmitted INVITE {label}: one call"] = (
            offered == 1 and len(tags) <= 1 and not any(r.code >= 300 for r in replies),
            f"{offered} call(s) offered, {len(tags)} To tag(s), replies "
            f"{','.join(map(str, codes(replies))) or 'none'}")
        if user == "ring":
            peer.send(peer.request("CANCEL", user, cid, f"{run}-r{user}", 1))
            tag = next((r.to_tag for r in peer.collect(0.3, cid) if r.code == 487), "")
            peer.send(peer.request("ACK", user, cid, f"{run}-r{user}", 1, to_tag=tag))
        else:
            tag = next((r.to_tag for r in replies if r.code == 200), "")
            peer.send(peer.request("ACK", user, cid, f"{run}-ra", 1, to_tag=tag))
            peer.send(peer.request("BYE", user, cid, f"{run}-rb", 2, to_tag=tag))
        peer.collect(0.3)
    return out


def alive(peer: Peer, run: str) -> bool:
    """Whether the UAS still answers an OPTIONS within a second."""
    peer.send(peer.request("OPTIONS", "ivr", f"alive-{run}", f"{run}-alive", 1))
    return bool(peer.collect(1.0, f"alive-{run}"))


def send_corpus(peer: Peer, index: dict, corpus: Path, offers_total: Callable[[], int]) -> dict[str, str]:
    """Send every corpus message; return what the UAS did with each ('180,200', 'none', ...)."""
    seen: dict[str, str] = {}
    for name in index:
        data = (corpus / f"{name}.sip").read_bytes().replace(b":5070", b":%d" % peer.port)
        before = offers_total()
        try:
            peer.send(data)
        except OSError as exc:
            seen[name] = f"not sent: {exc.strerror}"
            continue
        # answers to this message only: earlier calls' 200s are still being retransmitted
        prefix = name.split("-")[0]
        replies = [r for r in peer.collect(0.3) if r.call_id.startswith(prefix) or not r.call_id]
        offered = offers_total() - before
        seen[name] = (",".join(str(c) for c in codes(replies)) or "none") + (
            f" (+{offered} call)" if offered else "")
    return seen


def corpus_verdict(index: dict, seen: dict[str, str]) -> tuple[int, int, list[str]]:
    """Count valid messages answered and invalid ones refused; list the wrong answers."""
    answered = refused = 0
    wrong: list[str] = []
    for name, entry in index.items():
        got = seen.get(name, "none")
        positive = bool(re.search(r"\b[12]\d\d\b", got)) or "call)" in got
        if entry["verdict"] == "valid":
            answered += positive
            wrong += [] if positive else [f"{name}: {got}"]
        else:
            refused += not positive
            wrong += [f"{name}: {got}"] if positive else []
    return answered, refused, wrong


def flood(peer: Peer, run: str, offers_total: Callable[[], int], count: int = 300) -> Check:
    """Send `count` new INVITEs in a burst; the UAS must stay up and answer OPTIONS after it."""
    before, start = offers_total(), time.monotonic()
    for n in range(count):
        peer.send(peer.request("INVITE", "ring", f"flood-{run}-{n}", f"{run}-f{n}", 1, body=SDP_OFFER))
    sent = time.monotonic() - start
    deadline = time.monotonic() + 5.0
    while offers_total() - before < count and time.monotonic() < deadline:
        peer.collect(0.1)
    offered, took = offers_total() - before, time.monotonic() - start
    peer.collect(0.5)
    up = alive(peer, f"{run}-flood")
    return (up, f"{offered}/{count} offered to the application in {took:.2f} s (sent in "
                f"{sent * 1000:.0f} ms), {'alive' if up else 'NOT answering OPTIONS'} after")
