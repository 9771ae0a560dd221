"""What a SIP caller can say that sipp scenarios cannot: odd offers, re-INVITEs, merged requests,
Record-Route. A caller written by hand (conftest.RawCaller) talks to `callwright voice`."""

from __future__ import annotations

import itertools

import pytest

from .conftest import RawCaller, header, status, to_tag

_calls = itertools.count()


@pytest.fixture
def caller(node):
    made = RawCaller(node.port)
    yield made
    made.close()


def call_id() -> str:
    return f"raw-{next(_calls)}@test"


def final(message: str) -> bool:
    return message.startswith("SIP/2.0") and not message.startswith("SIP/2.0 1")


def test_an_offer_whose_address_is_not_an_ip_address_is_refused_and_others_go_on(caller, node):
    ident = call_id()
    caller.request("INVITE", "keys", ident, body=caller.sdp(address="pbx.example.invalid"))
    assert status(caller.receive(final)[-1]) == "SIP/2.0 488 Not Acceptable Here"
    # the media clock of every other call is untouched: a good call hears packets
    good = call_id()
    caller.request("INVITE", "keys", good, branch="z9hG4bKgood", body=caller.sdp())
    answer = caller.receive(final)[-1]
    assert status(answer) == "SIP/2.0 200 OK"
    caller.request("ACK", "keys", good, to_tag=to_tag(answer), branch="z9hG4bKack")
    caller.rtp.settimeout(2)
    assert len(caller.rtp.recv(2048)) == 172  # 12 bytes of header and 20 ms of G.711
    caller.request("BYE", "keys", good, cseq=2, to_tag=to_tag(answer), branch="z9hG4bKbye")
    assert status(caller.receive(lambda m: "CSeq: 2 BYE" in m)[-1]) == "SIP/2.0 200 OK"


def test_an_sdp_that_does_not_parse_gets_400(caller):
    caller.request("INVITE", "keys", call_id(), body="v=x\r\nm=audio abc RTP/AVP 0\r\n")
    assert status(caller.receive(final)[-1]).startswith("SIP/2.0 400")


def test_a_reinvite_is_answered_and_hold_is_heard(caller):
    ident = call_id()
    caller.request("INVITE", "long", ident, body=caller.sdp(), extra=(
        "Record-Route: <sip:proxy.invalid;lr>\r\n"))
    got = caller.receive(final)
    answer = got[-1]
    assert status(answer) == "SIP/2.0 200 OK"
    # behind a record-routing proxy, the ACK and the BYE find their way through it
    assert header(answer, "Record-Route") == ["<sip:proxy.invalid;lr>"]
    assert header(answer, "Content-Type") == ["application/sdp"]
    tag = to_tag(answer)
    caller.request("ACK", "long", ident, to_tag=tag, branch="z9hG4bKack")
    caller.request("INVITE", "long", ident, cseq=2, to_tag=tag, branch="z9hG4bKre",
                   body=caller.sdp(direction="sendonly", version=2))
    held = caller.receive(lambda m: "CSeq: 2 INVITE" in m and final(m))[-1]
    assert status(held) == "SIP/2.0 200 OK"
    assert "a=recvonly" in held  # we hear the hold: nothing is sent to the caller
    versions = [line.split()[2] for m in (answer, held) for line in m.split("\r\n")
                if line.startswith("o=")]
    assert int(versions[1]) == int(versions[0]) + 1
    caller.request("ACK", "long", ident, cseq=2, to_tag=tag, branch="z9hG4bKack2")
    caller.request("BYE", "long", ident, cseq=3, to_tag=tag, branch="z9hG4bKbye")
    assert status(caller.receive(lambda m: "CSeq: 3 BYE" in m)[-1]) == "SIP/2.0 200 OK"


def test_a_second_invite_of_a_ringing_call_is_a_merged_request(small_node):
    caller = RawCaller(small_node.port)
    try:
        ident = call_id()
        caller.request("INVITE", "keys", ident, body=caller.sdp())
        caller.receive(lambda m: status(m) == "SIP/2.0 180 Ringing")
        caller.request("INVITE", "keys", ident, branch="z9hG4bKother", body=caller.sdp())
        assert status(caller.receive(final)[-1]) == "SIP/2.0 482 Loop Detected"
        caller.request("CANCEL", "keys", ident, extra="")  # the first one's branch
        assert status(caller.receive(lambda m: "487" in status(m))[-1]).startswith("SIP/2.0 487")
    finally:
        caller.close()


@pytest.mark.parametrize("via_param", [";received=evil.invalid", ";rport=99999"])
def test_a_via_nobody_can_answer_to_is_dropped_and_the_node_goes_on(caller, node, via_param):
    ident = call_id()
    raw = (f"OPTIONS sip:keys@127.0.0.1 SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{caller.port};branch=z9hG4bKvia{via_param}\r\n"
           f"From: <sip:raw@127.0.0.1>;tag=1\r\nTo: <sip:keys@127.0.0.1>\r\n"
           f"Call-ID: {ident}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    caller.sock.sendto(raw, caller.node)
    caller.request("OPTIONS", "keys", call_id(), content_type="")
    assert status(caller.receive(lambda m: True)[-1]) == "SIP/2.0 200 OK"
    assert node.process.poll() is None


def test_a_cancel_after_the_answer_changes_nothing(caller):
    ident = call_id()
    caller.request("INVITE", "long", ident, body=caller.sdp())
    answer = caller.receive(final)[-1]
    assert status(answer) == "SIP/2.0 200 OK"
    caller.request("CANCEL", "long", ident)  # crossed our 200: too late to cancel
    assert status(caller.receive(lambda m: "CSeq: 1 CANCEL" in m)[-1]) == "SIP/2.0 200 OK"
    tag = to_tag(answer)
    caller.request("ACK", "long", ident, to_tag=tag, branch="z9hG4bKack")
    caller.request("BYE", "long", ident, cseq=2, to_tag=tag, branch="z9hG4bKbye")
    assert status(caller.receive(lambda m: "CSeq: 2 BYE" in m)[-1]) == "SIP/2.0 200 OK"


def test_the_answer_says_the_20_ms_packets_we_send_whatever_the_offer_asked(caller):
    ident = call_id()
    caller.request("INVITE", "keys", ident, body=caller.sdp(extra="a=ptime:30\r\n"))
    answer = caller.receive(final)[-1]
    assert status(answer) == "SIP/2.0 200 OK"
    assert "a=ptime:20" in answer and "a=ptime:30" not in answer
    tag = to_tag(answer)
    caller.request("ACK", "keys", ident, to_tag=tag, branch="z9hG4bKack")
    caller.request("BYE", "keys", ident, cseq=2, to_tag=tag, branch="z9hG4bKbye")
    assert status(caller.receive(lambda m: "CSeq: 2 BYE" in m)[-1]) == "SIP/2.0 200 OK"


def test_an_srtp_offer_is_refused_rather_than_answered_in_the_clear(caller):
    caller.request("INVITE", "keys", call_id(), body=caller.sdp(
        proto="RTP/SAVP", extra="a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n"))
    assert status(caller.receive(final)[-1]) == "SIP/2.0 488 Not Acceptable Here"
