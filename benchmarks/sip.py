"""Concurrent SIP calls answered with prompts and digits: `callwright voice` beside pyVoIP, by sipp.

    python benchmarks/sip.py [--calls 100,200,300,500] [--pyvoip-calls 25,50,100,150,200]
                             [--ramp-s 10] [--stacks callwright,pyvoip]

Starts `callwright voice` (this checkout's code) on a free loopback port with a workspace
holding the benchmark's IVR (benchmarks/sip_ivr.py: a welcome, a menu of two keys, a second menu
on each branch, a goodbye, one disposition per pair of keys). For each step of N calls, four
sipps (benchmarks/sip_callers.py, one per pair of keys) place N calls over `--ramp-s` seconds,
all up at once, about 25 s each, each pressing two keys by RFC 4733. Per step it reports calls
completed (sipp's verdict), calls recognised (the dispositions in the execution log against the
keys pressed), the voice process's CPU (from /proc), the load average, the inter-packet gaps of
the RTP the UAS sent (benchmarks/rtp_capture.py: tcpdump on lo), the cycle collector's pauses
and, with perf, why the event loop was held (benchmarks/loop_stalls.py).

Then the same callers call pyVoIP 1.6.8 (GPL-3.0, in a scratch venv under benchmarks/results/,
never a dependency of the product) answering the same IVR behind Kamailio on loopback
(benchmarks/sip_pyvoip_node.py). The figure is the highest N with at least 99.9% of calls
completed and recognised. Results go to benchmarks/results/sip-<time>/ (not committed).
Every wait is bounded; only processes this script started are stopped, by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # this checkout's runtime
# this folder's modules, as the other benchmarks import processes.py
import sip_pyvoip_node  # noqa: E402
from loop_stalls import SchedTrace  # noqa: E402
from processes import REPO, stop  # noqa: E402
from sip_callers import cpu_s, place, step_report  # noqa: E402
from sip_ivr import PAIRS, flow  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
ANSWERING = re.compile(r"Answering sip calls on udp:127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 120.0
LOG_WAIT_S = 30.0  # for the last sessions' ends to reach the execution log
GC_PAUSE = re.compile(r"^gc-pause (\d) ([\d.]+) ([\d.]+)$", re.MULTILINE)
# `callwright voice` as its console script runs it, plus a note on stderr of each collection of
# the cycle collector that held the process (and so the media's event loop) 5 ms or more: the
# only code of ours in the process, to tell its own stalls from the machine's
VOICE = """
import gc, sys, time
started = [0.0]
def note(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    elif (held := time.perf_counter() - started[0]) >= 0.005:
        print(f"gc-pause {info['generation']} {held * 1000:.1f} {time.time():.3f}", file=sys.stderr)
gc.callbacks.append(note)
from builder.cli import main
main()
"""


def workspace(folder: Path, ports: int) -> Path:
    """Write the benchmark workspace: the `bench` flow routed from number `bench`."""
    (folder / "flows").mkdir(parents=True)
    (folder / "flows" / "bench.json").write_text(json.dumps(flow(), indent=2))
    (folder / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "voice": {"bench": "bench"}}))
    # the callers send no audio between their keys: RTP silence must not end their calls
    (folder / "callwright.toml").write_text(
        f'[sip]\nlisten = "127.0.0.1:5060"\nports = {ports}\nrtp_timeout_s = 120\n')
    return folder


def start_voice(folder: Path) -> tuple[subprocess.Popen, int]:
    """Start `callwright voice --sip 127.0.0.1:0` on the workspace; return it and its SIP port."""
    log = folder / "voice.log"
    # this checkout's code, whichever checkout the venv installed
    path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    with log.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-c", VOICE,
                                    "voice", "--workspace", str(folder), "--sip", "127.0.0.1:0"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err, env={**os.environ, "PYTHONPATH": path})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        found = ANSWERING.search(log.read_text(errors="replace"))
        if found:
            return process, int(found.group(1))
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"callwright voice did not start:\n{log.read_text(errors='replace')}")


def ended_sessions(folder: Path, since: float, calls: int) -> list[str]:
    """Wait until the execution log holds `calls` sessions ended since `since`; return theirs."""
    from runtime.records import ExecutionLog, open_engine  # the product's code, this venv's
    from runtime.tasks import task_config
    from runtime.workspace import load_settings

    log = ExecutionLog(open_engine(task_config(folder, load_settings(folder)).database_url))
    try:
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            recent = log.recent("bench", limit=calls * 2 + 50)
            ends = [s["disposition"] or s["status"] for s in recent
                    if s["started_at"] >= since and s["status"] == "ended"]
            if len(ends) >= calls or time.monotonic() > deadline:
                return ends
            time.sleep(0.5)
    finally:
        log.close()


def gc_pauses(log: Path, since: float) -> dict:
    """Return the collector's pauses of 5 ms or more noted since `since`: count, max, total."""
    held = [float(ms) for _, ms, at in GC_PAUSE.findall(log.read_text(errors="replace"))
            if float(at) >= since]
    return {"gc_pauses": len(held), "gc_pause_max_ms": max(held, default=0.0),
            "gc_pause_total_ms": round(sum(held), 1)}


def callwright_steps(run: Path, steps: list[int], ramp_s: float) -> list[dict]:
    """Run every step against one `callwright voice`; return each step's figures."""
    folder = workspace(run / "callwright", max(steps) + 50)
    process, port = start_voice(folder)
    reports = []
    try:
        for calls in [len(PAIRS)] + steps:  # a first step of four calls speaks every prompt once
            step = run / f"callwright-{calls}"
            step.mkdir(exist_ok=True)
            since, cpu = time.time(), cpu_s(process.pid)
            trace = SchedTrace(step / "sched.data", process.pid)  # the event loop's thread
            try:
                placed = place(step, ("127.0.0.1", port), calls, ramp_s)
            finally:
                stalls = trace.finish()
            cpu = cpu_s(process.pid) - cpu
            ends = ended_sessions(folder, since, calls)
            report = step_report("callwright", calls, placed, ends, cpu)
            report |= gc_pauses(folder / "voice.log", since) | stalls
            show(report)
            reports.append(report)
            if process.poll() is not None:
                raise SystemExit(f"callwright voice exited ({process.returncode}); see "
                                 f"{folder / 'voice.log'}")
    finally:
        stop(process)
    return reports[1:]


def best(reports: list[dict]) -> int | None:
    """Return the most calls of a step that met the target, or None."""
    return max((r["calls"] for r in reports if r["ok"]), default=None)


def table(reports: list[dict]) -> str:
    """Return the steps as a Markdown table."""
    lines = ["| stack | calls | completed | recognised | CPU % of a core | load | RTP gap mean / "
             "p99 / max ms | at full load: p99 / max ms, gaps > 30 ms |",
             "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        if "note" in r:
            lines.append(f"| {r['stack']} | - | {r['note']} | | | | | |")
            continue
        lines.append(f"| {r['stack']} | {r['calls']} | {r['completed']} | {r['recognised']} | "
                     f"{r['cpu_pct_of_core']} | {r['load_1min_after']:.1f} | "
                     f"{r.get('gap_mean_ms')} / {r.get('gap_p99_ms')} / {r.get('gap_max_ms')} | "
                     f"{r.get('steady_gap_p99_ms')} / {r.get('steady_gap_max_ms')}, "
                     f"{r.get('steady_gaps_over_30ms_pct')} % |")
    return "\n".join(lines)


def show(report: dict) -> None:
    """Print a step's figures as one JSON line (its per-second timeline stays in steps.json)."""
    print(json.dumps({k: v for k, v in report.items() if k != "timeline"}), flush=True)


def main() -> None:
    """Run the steps for each stack; print one JSON line a step, then a table and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="100,200,300,500",
                        help="steps of concurrent calls for callwright voice")
    parser.add_argument("--pyvoip-calls", default="25,50,100,150,200",
                        help="steps for pyVoIP (it stops after the first step that fails)")
    parser.add_argument("--ramp-s", type=float, default=10.0,
                        help="seconds over which a step's calls arrive")
    parser.add_argument("--stacks", default="callwright,pyvoip")
    args = parser.parse_args()
    for program in ("sipp", "tcpdump"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is needed (Debian: sip-tester, tcpdump)")
    stacks = args.stacks.split(",")
    run = RESULTS / f"sip-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    run.mkdir(parents=True)
    print(json.dumps({"run": str(run), "load_1min": os.getloadavg()[0],
                      "cpus": os.cpu_count()}), flush=True)
    reports: list[dict] = []
    if "callwright" in stacks:
        reports += callwright_steps(run, [int(n) for n in args.calls.split(",")], args.ramp_s)
    if "pyvoip" in stacks:
        reports += sip_pyvoip_node.steps(run, [int(n) for n in args.pyvoip_calls.split(",")],
                                         args.ramp_s)
    summary = {stack: best([r for r in reports if r["stack"] == stack and "note" not in r])
               for stack in stacks}
    text = table(reports)
    (run / "summary.md").write_text(text + "\n")
    (run / "steps.json").write_text(json.dumps(reports, indent=2))
    print(text)
    print(json.dumps({"most_calls_at_99.9pct": summary}))


if __name__ == "__main__":
    main()
