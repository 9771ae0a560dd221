"""Calls handled per second by the port engine: the bank IVR under Poisson traffic, emulated.

    python benchmarks/emulator.py [--ports 2000] [--cps 60] [--duration 60] [--speed 5|max]
                                  [--holding exp:180] [--queue] [--no-crm]

Runs `callwright emulate`'s code path in this process: `examples/workspace/flows/bank-ivr.json`
on an emulated board of `--ports` ports, calls arriving at `--cps` for `--duration` virtual
seconds on a clock `--speed` times faster than real time (`max`: a virtual clock, as fast as the
CPU allows), the default mix of scripted callers (menus, account numbers, silence, hang-ups),
during opening hours. The flow's CRM look-up goes to a small JSON service this script starts on
127.0.0.1 in a process of its own (stopped by its PID at the end). `--no-crm` measures the port
engine without outbound HTTP: callers who ask for an agent or a lost card, or stay silent, so no
call reaches the look-up. `--queue` runs a one-block flow instead whose callers wait in a queue
until their `--holding` time runs out: the textbook capacity case (Erlang B).

It prints the emulator's report and one JSON line: the real rate at which calls arrived
(cps x speed), calls answered per wall second, this process's CPU time per call (the capacity
figure: calls a core can carry) and per 1,000 busy ports (cores: CPU seconds per wall second),
the answer latency p95 (near the emulator's 0.3 s when the machine kept up), the event latency
p50/p99 in real time, the ports in use (mean and peak), blocked calls and the wall time.

The figures of issue 13 (benchmarks/README.md):

    # real time: ports kept busy at once with event latency p99 under 20 ms
    python benchmarks/emulator.py --no-crm --speed 1 --ports 12000 --cps 500 --duration 120
    # accelerated: one hour of 1,000-port traffic
    python benchmarks/emulator.py --speed max --ports 1000 --cps 45 --duration 3600
    python benchmarks/emulator.py --speed max --ports 1000 --cps 5.3 --duration 3600 \
        --queue --holding exp:180
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from processes import REPO, free_port, stop

FLOW = REPO / "examples" / "workspace" / "flows" / "bank-ivr.json"
# callers wait in a queue that never answers until they hang up: a call lasts its holding time
QUEUE = {"schema": "callwright/flow@1", "id": "queue", "start": "wait",
         "blocks": {"wait": {"type": "transfer",
                             "config": {"target": {"queue": "sales"}, "timeout_s": 600},
                             "exits": {"noanswer": "wait", "busy": "wait", "failed": "wait"}}}}
OPEN = "2026-11-23T10:00:00+01:00"  # a Monday morning in Berlin: the line is open
CRM = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
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
    stop(process, 5)
    raise RuntimeError("the CRM stand-in did not start within 10 s")


def speed(text: str) -> float | str:
    """Return a clock speed: a number above 0, or "max"."""
    return text if text == "max" else float(text)


def main() -> None:
    """Run one emulation and print its report and the benchmark's figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=2000)
    parser.add_argument("--cps", type=float, default=60.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--speed", type=speed, default=5.0, help="a number, or max")
    parser.add_argument("--holding", help="exp:MEAN, fixed:SECONDS or uniform:LOW:HIGH")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-crm", action="store_true", help="callers who never reach the CRM")
    parser.add_argument("--queue", action="store_true",
                        help="callers wait in a queue until their --holding time runs out")
    args = parser.parse_args()
    if args.queue and not args.holding:
        parser.error("--queue needs --holding: the queue's callers stay until it runs out")
    os.environ["CALLWRIGHT_HTTP_ALLOW"] = "127.0.0.0/8"
    from runtime.commands import emulate
    from runtime.ports.emulator import CallerScript  # after the policy is set: read on start

    flow, callers = FLOW, None
    if args.no_crm:
        callers = [CallerScript(name="agent", actions=({"digits": "0"},)),
                   CallerScript(name="card", actions=({"digits": "2"},)),
                   CallerScript(name="silent")]
    with tempfile.TemporaryDirectory() as folder:
        if args.queue:
            flow = Path(folder) / "queue.json"
            flow.write_text(json.dumps(QUEUE))
            callers = [CallerScript(name="waits", transfer="noanswer")]
        process, url = start_crm()
        cpu = time.process_time()
        try:
            report = emulate(flow, ports=args.ports, cps=args.cps, duration_s=args.duration,
                             speed=args.speed, seed=args.seed, now=datetime.fromisoformat(OPEN),
                             vars={"crm_url": url}, callers=callers, holding=args.holding)
        finally:
            cpu = time.process_time() - cpu  # this process only: not the CRM stand-in
            stop(process, 5)
    print(json.dumps(report))
    print(json.dumps(figures(args, report, cpu)))


def figures(args: argparse.Namespace, report: dict, cpu: float) -> dict:
    """Return the benchmark's figures from a report and the CPU time it took."""
    calls, erlangs, wall = report["calls"], report["erlangs"], report["wall_s"]
    latency = report["event_latency_ms"] or {}
    return {"benchmark": "emulator", "flow": report["flow"], "crm": not args.no_crm,
            "ports": args.ports, "cps": args.cps, "speed": args.speed,
            "holding": report["holding"], "virtual_s": report["virtual_s"], "wall_s": wall,
            "arrivals_per_wall_s": round(calls["offered"] / wall, 1),
            "answered_per_wall_s": round(calls["answered"] / wall, 1),
            "cpu_s": round(cpu, 2),
            "cpu_ms_per_call": round(cpu * 1000 / max(1, calls["answered"]), 3),
            # cores a thousand busy ports take: CPU seconds per wall second per 1,000 ports
            "cores_per_1000_ports": round(cpu / wall / erlangs["mean"] * 1000, 3)
            if erlangs["mean"] else None,
            "answer_latency_p95_s": report["answer_latency_s"]["p95"],
            "event_latency_p50_ms": latency.get("p50"), "event_latency_p99_ms": latency.get("p99"),
            "mean_busy_ports": erlangs["mean"], "peak_ports": erlangs["peak"],
            "blocked": calls["blocked"], "blocking": report["blocking"]["probability"],
            "erlang_b": report["blocking"]["erlang_b"], "unfinished": calls["unfinished"],
            "load_average": os.getloadavg()[0]}


if __name__ == "__main__":
    main()
