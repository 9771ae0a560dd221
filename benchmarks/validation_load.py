"""Chat turns while flows are validated: a real `callwright serve`, turns alone and under load.

    python benchmarks/validation_load.py [--blocks 10000] [--validators 4] [--seconds 10]
                                         [--workers 1] [--invalid] [--json]

Starts `callwright serve` on a copy of examples/workspace (a free port, no task worker), then:
1. times chat turns alone for `--seconds`, one after the other, on one keep-alive connection
   (`POST /api/v1/chat/support-bot/messages`: a new session that answers and waits in a menu);
2. starts `--validators` clients that each POST a flow of `--blocks` blocks (the shape of
   benchmarks/validation.py, every block wrong with `--invalid`) to
   `/api/v1/flows/bench/validate` again and again, honouring Retry-After on a 503, and times
   chat turns for as long again while they run.
Prints the turns' median and p95 alone and under load, and what the validators got (statuses,
median time). Only the server this script started is stopped, by its PID (TERM, KILL after 5 s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from validation import make_flow  # noqa: E402

START_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 120


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flow_text(blocks: int, invalid: bool) -> bytes:
    """Return the JSON text of a benchmark flow, each block made wrong when `invalid`.

    One line, as an editor's JSON.stringify sends it: indented, 10,000 blocks would pass the
    4 MiB body limit.
    """
    doc = make_flow(blocks)
    doc["id"] = "bench"
    if invalid:
        for block in doc["blocks"].values():
            block["config"]["bogus"] = True  # an unknown config field: one error per block
    return json.dumps(doc).encode()


def post(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, dict, bytes]:
    """POST a JSON body on a kept-alive connection; return (status, headers, body)."""
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def time_turns(port: int, seconds: float) -> list[float]:
    """Time chat turns one after the other for `seconds`; return their durations in seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    body = json.dumps({"text": "hello"}).encode()
    samples: list[float] = []
    stop = time.monotonic() + seconds
    try:
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _, _ = post(conn, "/api/v1/chat/support-bot/messages", body)
            samples.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"a chat turn answered {status}")
    finally:
        conn.close()
    return samples


class Validators:
    """Clients that validate a big flow again and again until told to stop."""

    def __init__(self, port: int, clients: int, text: bytes) -> None:
        self.port = port
        self.text = text
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.seconds: list[float] = []
        self.refusals: list[float] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]

    def __enter__(self) -> Validators:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT_S)

    def _client(self) -> None:
        """Validate until stopped; wait as long as a 503's Retry-After asks."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    status, headers, _ = post(conn, "/api/v1/flows/bench/validate", self.text)
                except (OSError, http.client.HTTPException):  # refused mid-body: count it
                    status, headers = 0, {}
                    conn.close()
                took = time.perf_counter() - started
                with self._lock:
                    self.statuses[status] += 1
                    (self.refusals if status == 503 else self.seconds).append(took)
                if status == 503:
                    self.stop.wait(float(headers.get("Retry-After", "1")))
        finally:
            conn.close()


def figures(samples: list[float]) -> dict[str, float]:
    """Return the median and p95 of samples in milliseconds."""
    ordered = sorted(samples)
    if not ordered:
        return {"median_ms": 0.0, "p95_ms": 0.0}
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(p95 * 1000, 1)}


def start_server(workspace: Path, port: int, workers: int) -> subprocess.Popen:
    """Start `callwright serve` on the workspace; return the process once it answers."""
    paths = [str(ROOT), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    with open(workspace / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from builder.cli import main; main()", "serve", "--workspace",
             str(workspace), "--port", str(port), "--workers", str(workers), "--no-worker"],
            stdout=log, stderr=subprocess.STDOUT, cwd=workspace, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited:\n{(workspace / 'serve.log').read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"serve did not answer within {START_TIMEOUT_S} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server this script started: SIGTERM, then SIGKILL after 5 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def measure(args: argparse.Namespace, workspace: Path) -> dict:
    """Run both phases against a fresh server and return the figures."""
    port = free_port()
    process = start_server(workspace, port, args.workers)
    try:
        time_turns(port, 1.0)  # warm: first sessions, compiled templates, connections
        alone = time_turns(port, args.seconds)
        with Validators(port, args.validators, flow_text(args.blocks, args.invalid)) as load:
            time.sleep(1.0)  # let every validator have a request in flight
            loaded = time_turns(port, args.seconds)
        return {"blocks": args.blocks, "invalid": args.invalid, "validators": args.validators,
                "serve_workers": args.workers, "seconds": args.seconds,
                "turns_alone": {"count": len(alone), **figures(alone)},
                "turns_under_validation": {"count": len(loaded), **figures(loaded)},
                "validations": {"statuses": dict(load.statuses), **figures(load.seconds)},
                "refusals": figures(load.refusals)}
    finally:
        stop_server(process)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures (a table, or one JSON object with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="of chat turns, per phase")
    parser.add_argument("--workers", type=int, default=1, help="serve's HTTP worker processes")
    parser.add_argument("--invalid", action="store_true", help="make every block wrong")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="callwright-validation-load-") as tmp:
        workspace = Path(tmp) / "workspace"
        shutil.copytree(ROOT / "examples" / "workspace", workspace)
        report = measure(args, workspace)
    if args.json:
        print(json.dumps(report))
        return 0
    alone, loaded = report["turns_alone"], report["turns_under_validation"]
    print(f"chat turns alone:            median {alone['median_ms']:7.1f} ms  "
          f"p95 {alone['p95_ms']:7.1f} ms")
    print(f"chat turns, {args.validators} validating:    median {loaded['median_ms']:7.1f} ms  "
          f"p95 {loaded['p95_ms']:7.1f} ms")
    checks = report["validations"]
    print(f"validations of {args.blocks:,} blocks: statuses {checks['statuses']}, median "
          f"{checks['median_ms']:.0f} ms; refusals median {report['refusals']['median_ms']:.1f} ms")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
