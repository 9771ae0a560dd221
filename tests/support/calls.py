"""Helpers for tests that place real calls to `callwright voice`: a menu flow, and what flows did.

Importable as `calls` from any test (tests/support is on pytest's `pythonpath`).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from runtime.records import ExecutionLog, open_engine
from runtime.tasks import task_config
from runtime.workspace import load_settings

LOG_WAIT_S = 15.0
SIPP_ATTEMPTS = 3
SIPP_BIND_FAILED = 254  # sipp's "fatal error binding a socket"

# a menu whose key 1 ends the call as `sales` and 2 as `support` (`no_key` after two silences)
KEYS_FLOW = {"schema": "callwright/flow@1", "id": "keys", "name": "keys", "start": "menu",
             "blocks": {
                 "menu": {"type": "menu", "config": {
                     "prompt": "For sales press 1. For support press 2.",
                     "options": [{"key": "1", "exit": "sales", "label": "Sales"},
                                 {"key": "2", "exit": "support", "label": "Support"}],
                     "timeout_s": 5, "max_attempts": 2},
                     "exits": {"sales": "sales", "support": "support", "failed": "nothing"}},
                 "sales": {"type": "end", "config": {"disposition": "sales", "text": "Sales."}},
                 "support": {"type": "end",
                             "config": {"disposition": "support", "text": "Support."}},
                 "nothing": {"type": "end", "config": {"disposition": "no_key"}}}}


def dispositions(workspace: Path, flow_id: str, count: int) -> list[str]:
    """Wait until the execution log holds `count` ended sessions of a flow; return theirs."""
    settings = load_settings(workspace)
    log = ExecutionLog(open_engine(task_config(workspace, settings).database_url))
    try:
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            ended = [s for s in log.recent(flow_id, limit=500) if s["status"] == "ended"]
            if len(ended) >= count or time.monotonic() > deadline:
                return sorted(s["disposition"] for s in ended)
            time.sleep(0.2)
    finally:
        log.close()


def free_udp_port() -> int:
    """Return a UDP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_sipp(sipp: str, target: str, scenario: Path, *options: str, cwd: Path,
             timeout_s: float = 60) -> subprocess.CompletedProcess:
    """Run a sipp scenario against `target` (HOST:PORT) from free loopback ports; return it.

    The ports are free when picked, but sipp binds four media ports from `-mp` up (audio and
    video, RTP and RTCP) and another process may take one first: sipp then exits 254 before
    any call, and the run is made again on other ports.
    """
    for _ in range(SIPP_ATTEMPTS):
        argv = [sipp, target, "-sf", str(scenario), "-i", "127.0.0.1",
                "-p", str(free_udp_port()), "-mi", "127.0.0.1",
                "-mp", str(free_udp_port() & ~1), "-nostdin", *options]
        run = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s + 30,
                             cwd=cwd)
        if run.returncode != SIPP_BIND_FAILED:
            break
    return run

