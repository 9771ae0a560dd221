"""Real SIP calls: `callwright voice` answering on a free loopback port, sipp as the callers."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from calls import KEYS_FLOW
from needs import program
from serving import callwright_command, stop

SCENARIOS = Path(__file__).parent / "scenarios"
START_TIMEOUT_S = 60.0
ANSWERING = re.compile(r"Answering sip calls on udp:127\.0\.0\.1:(\d+)")

FLOWS = {
    "keys": {key: KEYS_FLOW[key] for key in ("start", "blocks")},
    "long": {"start": "story", "blocks": {
        "story": {"type": "say", "config": {"text": "Once upon a time there was a very long "
                                                    "prompt that nobody wanted to hear to the "
                                                    "end, and nobody did."},
                  "exits": {"next": "again"}},
        "again": {"type": "menu", "config": {
            "prompt": "To hear it again, press 1.",
            "options": [{"key": "1", "exit": "again", "label": "Again"}], "timeout_s": 3},
            "exits": {"again": "story", "failed": "bye"}},
        "bye": {"type": "end", "config": {"disposition": "heard_it_all"}}}},
    "agent": {"start": "hand_over", "blocks": {
        "hand_over": {"type": "transfer", "config": {"target": {"number": "100"},
                                                     "timeout_s": 10},
                      "exits": {"busy": "busy", "noanswer": "nobody", "failed": "failed"}},
        "busy": {"type": "end", "config": {"disposition": "agent_busy"}},
        "nobody": {"type": "end", "config": {"disposition": "agent_noanswer"}},
        "failed": {"type": "end", "config": {"disposition": "agent_failed"}}}},
}


class VoiceNode(NamedTuple):
    """A running `callwright voice` and where it answers."""

    process: subprocess.Popen
    workspace: Path
    port: int
    log: Path


def workspace(folder: Path, *, ports: int, ring_s: float = 0.0, rtp_timeout_s: float = 30) -> Path:
    """Write a workspace whose voice routes name each flow of FLOWS (and nothing else)."""
    (folder / "flows").mkdir(parents=True)
    for flow_id, flow in FLOWS.items():
        document = {"schema": "callwright/flow@1", "id": flow_id, "name": flow_id, **flow}
        (folder / "flows" / f"{flow_id}.json").write_text(json.dumps(document))
    (folder / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "voice": {flow_id: flow_id for flow_id in FLOWS}}))
    (folder / "callwright.toml").write_text(
        f'[sip]\nlisten = "127.0.0.1:5060"\nports = {ports}\nring_s = {ring_s}\n'
        f'rtp_timeout_s = {rtp_timeout_s}\n')
    return folder


def start_node(folder: Path) -> VoiceNode:
    """Start `callwright voice` on a free port (--sip 127.0.0.1:0) and wait until it answers."""
    log = folder / "voice.log"
    with log.open("wb") as stderr:  # the child has its own copy of the descriptor
        process = subprocess.Popen(callwright_command("voice", "--workspace", str(folder),
                                                      "--sip", "127.0.0.1:0"),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=stderr)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = ANSWERING.search(log.read_text(errors="replace"))
        if found:
            return VoiceNode(process, folder, int(found.group(1)), log)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    stop(process)
    pytest.fail(f"callwright voice did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def sipp() -> str:
    """Return sipp's path (Debian's sip-tester); required under CI."""
    return program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def espeak(sipp: str) -> str:
    """The node speaks its prompts with espeak-ng; required under CI."""
    return program("espeak-ng", "espeak-ng")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, espeak: str) -> VoiceNode:
    """A node with room for 120 calls, answering at once."""
    started = start_node(workspace(tmp_path_factory.mktemp("voice"), ports=120))
    yield started
    assert stop(started.process) == 0, started.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def small_node(tmp_path_factory: pytest.TempPathFactory, espeak: str) -> VoiceNode:
    """A node of one port whose calls ring for 2 s before the flow answers and end after 3 s
    without RTP from the caller."""
    started = start_node(workspace(tmp_path_factory.mktemp("voice-small"), ports=1,
                                   ring_s=2.0, rtp_timeout_s=3.0))
    yield started
    assert stop(started.process) == 0, started.log.read_text(errors="replace")


class RawCaller:
    """A SIP caller written by hand, for what sipp scenarios cannot say: one UDP socket that
    sends requests and reads the responses and requests that come back."""

    def __init__(self, node_port: int) -> None:
        self.node = ("127.0.0.1", node_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # where it hears the IVR
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_port = self.rtp.getsockname()[1]

    def close(self) -> None:
        self.sock.close()
        self.rtp.close()

    def sdp(self, *, address: str = "127.0.0.1", direction: str = "sendrecv",
            version: int = 1, proto: str = "RTP/AVP", extra: str = "") -> str:
        return (f"v=0\r\no=caller 1 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 {address}\r\n"
                f"t=0 0\r\nm=audio {self.rtp_port} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                f"a=rtpmap:101 telephone-event/8000\r\na={direction}\r\n{extra}")

    def request(self, method: str, number: str, call_id: str, *, cseq: int = 1,
                branch: str = "z9hG4bKraw1", to_tag: str = "", body: str = "",
                extra: str = "", content_type: str = "application/sdp") -> None:
        to = f"<sip:{number}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
        headers = (f"{method} sip:{number}@127.0.0.1:{self.node[1]} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch}\r\n"
                   f"From: <sip:raw@127.0.0.1>;tag=rawtag\r\nTo: {to}\r\n"
                   f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
                   f"Contact: <sip:raw@127.0.0.1:{self.port}>\r\nMax-Forwards: 70\r\n{extra}")
        if body:
            headers += f"Content-Type: {content_type}\r\n"
        data = f"{headers}Content-Length: {len(body.encode())}\r\n\r\n{body}".encode()
        self.sock.sendto(data, self.node)

    def receive(self, until: Callable[[str], bool], timeout_s: float = 10.0) -> list[str]:
        """Read messages until one satisfies `until` (returned last) or the time runs out."""
        got: list[str] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                message = self.sock.recv(65536).decode("utf-8", "replace")
            except TimeoutError:
                break
            got.append(message)
            if until(message):
                return got
        raise AssertionError(f"nothing came that was wanted; got {[m.split(chr(13))[0] for m in got]}")


def status(message: str) -> str:
    """Return a message's first line."""
    return message.split("\r\n", 1)[0]


def header(message: str, name: str) -> list[str]:
    """Return the values of a header of a message."""
    prefix = name.lower() + ":"
    return [line.split(":", 1)[1].strip() for line in message.split("\r\n")
            if line.lower().startswith(prefix)]


def to_tag(message: str) -> str:
    """Return the tag of a response's To header."""
    return header(message, "To")[0].split("tag=")[1].split(";")[0]
