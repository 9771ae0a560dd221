"""Real SIP calls: `callwright voice` answering on a free loopback port, sipp as the callers."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from needs import program
from serving import callwright_command, stop

SCENARIOS = Path(__file__).parent / "scenarios"
START_TIMEOUT_S = 60.0
ANSWERING = re.compile(r"Answering sip calls on udp:127\.0\.0\.1:(\d+)")

FLOWS = {
    "keys": {"start": "menu", "blocks": {
        "menu": {"type": "menu", "config": {
            "prompt": "For sales press 1. For support press 2.",
            "options": [{"key": "1", "exit": "sales", "label": "Sales"},
                        {"key": "2", "exit": "support", "label": "Support"}],
            "timeout_s": 5, "max_attempts": 2},
            "exits": {"sales": "sales", "support": "support", "failed": "nothing"}},
        "sales": {"type": "end", "config": {"disposition": "sales", "text": "Sales."}},
        "support": {"type": "end", "config": {"disposition": "support", "text": "Support."}},
        "nothing": {"type": "end", "config": {"disposition": "no_key"}}}},
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
