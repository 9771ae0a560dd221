"""aiosipua against the hostile-message corpus: what its parser accepts, and that its UAS survives.

The corpus (messages/*.sip) and its verdicts (messages/index.toml) are ours; an entry with a
`gap` is a message aiosipua 0.7.1 accepts although it must not, which the SIP backend guards
itself. Those tests are strict xfails that expect the verdict's assertion to fail and nothing
else: a crash (any other exception) fails the test, and a fixed gap turns it into an XPASS.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tomllib
from pathlib import Path

import pytest
from aiosipua import SipMessage, SipRequest, SipUAS, UdpSipTransport
from aiosipua.message import missing_required_headers

MESSAGES = Path(__file__).resolve().parent / "messages"
INDEX: dict[str, dict] = tomllib.loads((MESSAGES / "index.toml").read_text())


def classify(data: bytes) -> str:
    """Return 'valid' when aiosipua hands the datagram to its UAS as a request, else 'invalid'.

    That is its UDP transport's parse, then the UAS's check of the mandatory headers, then the
    structured headers a UAS reads before answering. aiosipua signals a refusal with ValueError
    only; anything else propagates, as a crash.
    """
    try:
        message = SipMessage.parse(data)
        if not isinstance(message, SipRequest) or missing_required_headers(message):
            return "invalid"
        message.via[0], message.cseq, message.from_addr, message.to_addr
    except ValueError:
        return "invalid"
    return "valid"


def case(name: str) -> pytest.param:
    """Return one corpus message as a test case, a strict xfail when its entry names a gap."""
    gap = INDEX[name].get("gap")
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=gap)] if gap else []
    return pytest.param(name, marks=marks, id=name)


def test_the_index_lists_every_message_once_with_a_verdict_and_what_it_probes():
    assert sorted(INDEX) == sorted(path.stem for path in MESSAGES.glob("*.sip"))
    for name, entry in INDEX.items():
        assert entry["verdict"] in {"valid", "invalid"}, name
        assert entry["probes"], name
        assert "gap" not in entry or entry["verdict"] == "invalid", name


def test_the_messages_use_crlf_and_loopback_addresses_only():
    for name in INDEX:
        data = (MESSAGES / f"{name}.sip").read_bytes()
        head = data.split(b"\r\n\r\n", 1)[0]
        if name.startswith("v"):
            assert b"\n" not in head.replace(b"\r\n", b""), name
        hosts = {host for host in (b"127.0.0.1", b"::1", b"2001:db8::10") if host in data}
        assert hosts or name.startswith("g"), name
        assert b"203.0.113.9" not in data or name == "i18-bare-cr-header-injection", name


@pytest.mark.parametrize("name", [case(name) for name in INDEX])
def test_aiosipua_classifies_each_message_as_the_index_says(name):
    data = (MESSAGES / f"{name}.sip").read_bytes()
    assert classify(data) == INDEX[name]["verdict"]


@pytest.mark.parametrize("name", [name for name, e in INDEX.items() if e["verdict"] == "valid"])
def test_aiosipua_reads_the_dialog_fields_of_each_valid_message(name):
    message = SipMessage.parse((MESSAGES / f"{name}.sip").read_bytes())
    prefix = name.split("-")[0]
    assert message.call_id.startswith(prefix)
    assert message.via[0].branch == f"z9hG4bK-{prefix}"
    assert message.cseq.method == message.method
    assert message.from_addr.params["tag"] == f"fr-{prefix}"
    assert len(message.body) in (0, 181)


async def _send_corpus_to_a_uas() -> tuple[dict[str, list[bytes]], list[bytes]]:
    """Run aiosipua's UAS on 127.0.0.1, send it every message, then an OPTIONS; return the answers."""
    uas = SipUAS(UdpSipTransport(local_addr=("127.0.0.1", 0)))
    offered: list[str] = []
    uas.on_invite = lambda call: offered.append(call.call_id)
    loop = asyncio.get_running_loop()
    # aiosipua 0.7.1 asserts asyncio.DatagramTransport in connection_made, which Python 3.11's
    # selector transport is not; start() keeps the transport anyway, so that report is dropped
    loop.set_exception_handler(lambda _loop, _context: None)
    await uas.start()
    uas.transport.local_addr = uas.transport._udp_transport.get_extra_info("sockname")[:2]
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setblocking(False)
    port = b":%d" % peer.getsockname()[1]
    answers: dict[str, list[bytes]] = {}
    try:
        for name in INDEX:
            data = (MESSAGES / f"{name}.sip").read_bytes().replace(b":5070", port)
            peer.sendto(data, uas.transport.local_addr)
            await asyncio.sleep(0.02)
            answers[name] = _drain(peer)
        options = (MESSAGES / "v11-options.sip").read_bytes().replace(b":5070", port)
        peer.sendto(options.replace(b"v11@", b"alive@"), uas.transport.local_addr)
        await asyncio.sleep(0.05)
        return answers, _drain(peer)
    finally:
        peer.close()
        await uas.stop()


def _drain(peer: socket.socket) -> list[bytes]:
    """Return the status lines waiting on the peer's socket."""
    lines = []
    while True:
        try:
            lines.append(peer.recv(70000).split(b"\r\n", 1)[0])
        except BlockingIOError:
            return lines


def test_aiosipua_uas_survives_the_whole_corpus_and_refuses_what_it_parses_as_invalid(caplog):
    caplog.set_level(logging.CRITICAL, logger="aiosipua")
    answers, alive = asyncio.run(asyncio.wait_for(_send_corpus_to_a_uas(), 30))
    assert alive == [b"SIP/2.0 200 OK"]
    for name, entry in INDEX.items():
        if entry["verdict"] == "invalid" and "gap" not in entry:
            assert all(line.startswith(b"SIP/2.0 400") for line in answers[name]), name
