"""Calls handled per second by the port engine: the bank IVR under Poisson traffic, emulated.

    python benchmarks/emulator.py [--ports 2000] [--cps 60] [--duration 60] [--speed 5] [--no-crm]

Runs `callwright emulate`'s code path in this process: `examples/workspace/flows/bank-ivr.json`
on an emulated board of `--ports` ports, calls arriving at `--cps` for `--duration` virtual
seconds on a clock `--speed` times faster than real time, the default mix of scripted callers
(menus, account numbers, silence, hang-ups), during opening hours. The flow's CRM look-up goes
to a small JSON service this script starts on 127.0.0.1 in a process of its own (stopped by its
PID at the end). `--no-crm` measures the port engine without outbound HTTP: callers who ask
for an agent or a lost card, or stay silent, so no call reaches the look-up. It prints the emulator's report and one JSON line: the real rate at which
calls arrived (cps x speed), calls answered per wall second, this process's CPU time per call
(the capacity figure: calls a core can carry), the 95th percentile of answer latency (near the
emulator's 0.3 s when the machine kept up), peak ports in use and rejections.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOW = REPO / "examples" / "workspace" / "flows" / "bank-ivr.json"
OPEN = "2026-11-23T10:00:00+01:00"  # a Monday morning in Berlin: the line is open
CRM = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({"balance": int(self.path.rsplit("/", 1)[-1][-3:]) - 100}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):
        pass  # the emulator closing its kept-alive connections at the end
server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
server.serve_forever()
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_crm() -> tuple[subprocess.Popen, str]:
    """Start the CRM stand-in; return its process and URL once it accepts connections."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", CRM, str(port)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    stop(process)
    raise RuntimeError("the CRM stand-in did not start within 10 s")


def stop(process: subprocess.Popen) -> None:
    """Stop a process this script started, by its PID."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


def main() -> None:
    """Run one emulation and print its report and the benchmark's figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=2000)
    parser.add_argument("--cps", type=float, default=60.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-crm", action="store_true", help="callers who never reach the CRM")
    args = parser.parse_args()
    os.environ["CALLWRIGHT_HTTP_ALLOW"] = "127.0.0.0/8"
    from runtime.commands import emulate
    from runtime.ports.emulator import CallerScript  # after the policy is set: read on start

    callers = None
    if args.no_crm:
        callers = [CallerScript(name="agent", actions=({"digits": "0"},)),
                   CallerScript(name="card", actions=({"digits": "2"},)),
                   CallerScript(name="silent")]

    process, url = start_crm()
    cpu = time.process_time()
    try:
        report = emulate(FLOW, ports=args.ports, cps=args.cps, duration_s=args.duration,
                         speed=args.speed, seed=args.seed, now=datetime.fromisoformat(OPEN),
                         vars={"crm_url": url}, callers=callers)
    finally:
        cpu = time.process_time() - cpu  # this process only: not the CRM stand-in
        stop(process)
    print(json.dumps(report))
    calls = report["calls"]
    print(json.dumps({"benchmark": "emulator", "crm": not args.no_crm, "ports": args.ports,
                      "cps": args.cps,
                      "speed": args.speed, "arrivals_per_wall_s": args.cps * args.speed,
                      "wall_s": report["wall_s"],
                      "answered_per_wall_s": round(calls["answered"] / report["wall_s"], 1),
                      "cpu_s": round(cpu, 2),
                      "cpu_ms_per_call": round(cpu * 1000 / max(1, calls["answered"]), 3),
                      "answer_latency_p95_s": report["answer_latency_s"]["p95"],
                      "peak_ports": report["occupancy"]["peak"], "rejected": calls["rejected"],
                      "unfinished": calls["unfinished"]}))


if __name__ == "__main__":
    main()
