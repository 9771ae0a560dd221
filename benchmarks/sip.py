"""Concurrent SIP calls answered with prompts and digits: `callwright voice` beside pyVoIP, by sipp.

    python benchmarks/sip.py [--calls 100,200,300,500] [--ramp-s 10] [--pyvoip-calls 25,50,100]
                             [--stacks callwright,pyvoip]

Starts `callwright voice` (this interpreter's code) on a free loopback port with a benchmark
workspace: a welcome, a menu of two keys, a second menu on each branch and a goodbye, ending
with one disposition per pair of keys. For each step of N calls, sipp (benchmarks/
sip_caller.xml) places N calls over `--ramp-s` seconds (`-l N`: all at once, about 25 s each),
each pressing two keys by RFC 4733 (the four pairs in turn, from an injection file). Per step it
reports calls completed (sipp's verdict), digits recognised (the dispositions in the execution
log against the keys pressed), the voice process's CPU (from /proc), the load average, and the
inter-packet gap of the RTP the UAS sent (benchmarks/rtp_capture.py: tcpdump on lo).

Then the same callers call pyVoIP 1.6.8 (GPL-3.0, in a scratch venv under benchmarks/results/,
never a dependency of the product) answering the same IVR (benchmarks/sip_pyvoip.py), which
registers to Kamailio on loopback first: pyVoIP answers only calls that reach it through its
registrar (benchmarks/sip_registrar.py). The figure is the highest N with at least 99.9% of
calls completed and recognised. Results go to benchmarks/results/sip-<time>/ (not committed).
Every wait is bounded; only processes this script started are stopped, by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rtp_capture  # noqa: E402  (this folder, as the other benchmarks import processes.py)
from processes import REPO, stop  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "sip_caller.xml"
DTMF_PCAPS = Path("/usr/share/sip-tester")  # RFC 4733 key presses, shipped with Debian's sipp
RESULTS = REPO / "benchmarks" / "results"
ANSWERING = re.compile(r"Answering sip calls on udp:127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 120.0
CALL_S = 25  # how long one call of sip_caller.xml lasts, roughly
TARGET = 0.999  # share of calls that must complete with their digits recognised
LOG_WAIT_S = 30.0  # for the last sessions' ends to reach the execution log
PAIRS = ("13", "14", "23", "24")  # the keys the callers press, in turn
WELCOME = "Welcome to the Callwright benchmark line. Every call hears prompts and presses keys."
MENU = "For sales press 1. For support press 2."
SECOND = {"1": ("sales", "Sales. For new orders press 3. For existing orders press 4.",
                {"3": "sales_new", "4": "sales_existing"}),
          "2": ("support", "Support. For billing press 3. For technical help press 4.",
                {"3": "support_billing", "4": "support_technical"})}
GOODBYE = "Thank you for calling. Goodbye."


def flow() -> dict:
    """Return the benchmark IVR: welcome, menu, a second menu per branch, a disposition each."""
    blocks = {"welcome": {"type": "say", "config": {"text": WELCOME},
                          "exits": {"next": "menu"}},
              "menu": {"type": "menu", "config": {
                  "prompt": MENU, "timeout_s": 10, "max_attempts": 2,
                  "options": [{"key": key, "exit": name, "label": name.title()}
                              for key, (name, _, _) in SECOND.items()]},
                  "exits": {**{name: name for name, _, _ in SECOND.values()},
                            "failed": "no_first_key"}},
              "no_first_key": {"type": "end", "config": {"disposition": "no_first_key"}}}
    for name, prompt, options in SECOND.values():
        blocks[name] = {"type": "menu", "config": {
            "prompt": prompt, "timeout_s": 10, "max_attempts": 2,
            "options": [{"key": key, "exit": end, "label": end} for key, end in options.items()]},
            "exits": {**{end: end for end in options.values()}, "failed": "no_second_key"}}
        for end in options.values():
            blocks[end] = {"type": "end", "config": {"disposition": end, "text": GOODBYE}}
    blocks["no_second_key"] = {"type": "end", "config": {"disposition": "no_second_key"}}
    return {"schema": "callwright/flow@1", "id": "bench", "name": "SIP benchmark",
            "start": "welcome", "blocks": blocks}


def disposition(keys: str) -> str:
    """Return the disposition the IVR ends with after these two keys."""
    return SECOND[keys[0]][2][keys[1]]


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


def free_udp_port(even: bool = False) -> int:
    """Return a UDP port on 127.0.0.1 that is free right now (an even one for RTP)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not even or port % 2 == 0:
            return port


def start_voice(folder: Path) -> tuple[subprocess.Popen, int]:
    """Start `callwright voice --sip 127.0.0.1:0` on the workspace; return it and its SIP port."""
    log = folder / "voice.log"
    with log.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-c", "from builder.cli import main; main()",
                                    "voice", "--workspace", str(folder), "--sip", "127.0.0.1:0"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        found = ANSWERING.search(log.read_text(errors="replace"))
        if found:
            return process, int(found.group(1))
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"callwright voice did not start:\n{log.read_text(errors='replace')}")


def cpu_s(pid: int) -> float:
    """Return a process's CPU seconds so far, its waited-for children's included (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields after the name: utime, stime, cutime, cstime are the 12th to 15th
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def scenario(folder: Path, pair: str) -> Path:
    """Write the caller's scenario pressing this pair of keys (sipp's own DTMF pcaps)."""
    text = SCENARIO.read_text()
    for token, key in (("[first_key_pcap]", pair[0]), ("[second_key_pcap]", pair[1])):
        text = text.replace(token, str(DTMF_PCAPS / f"dtmf_2833_{key}.pcap"))
    path = folder / f"caller-{pair}.xml"  # sipp writes its error log beside the scenario
    path.write_text(text)
    return path


def sipp_argv(folder: Path, target: tuple[str, int], pair: str, calls: int, rate: float,
              media: int, timeout_s: int) -> list[str]:
    """Return the command line of one sipp placing `calls` calls that press `pair`."""
    return ["sipp", f"{target[0]}:{target[1]}", "-sf", str(scenario(folder, pair)),
            "-s", "bench", "-m", str(calls), "-l", str(calls), "-r", f"{rate:.3f}", "-rp", "1000",
            "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mi", "127.0.0.1",
            "-mp", str(media), "-nostdin", "-timeout", f"{timeout_s}s", "-timeout_error",
            "-recv_timeout", "60s", "-trace_err"]


def place(folder: Path, target: tuple[str, int], calls: int, ramp_s: float) -> dict:
    """Run sipp's callers against `target`, capturing the RTP sent to them; return what it saw.

    One sipp a pair of keys (its scenario names the pcaps), all started at once, together
    placing `calls` calls over `ramp_s` seconds.
    """
    shares = {pair: calls // len(PAIRS) + (n < calls % len(PAIRS)) for n, pair in enumerate(PAIRS)}
    shares = {pair: share for pair, share in shares.items() if share}
    media = {pair: free_udp_port(even=True) for pair in shares}
    timeout_s = int(ramp_s + CALL_S * 3 + 30)
    capture = rtp_capture.Capture(folder / "rtp.pcap", list(media.values()))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    runs = {}
    try:
        for pair, share in shares.items():
            with (folder / f"sipp-{pair}.out").open("wb") as out:
                argv = sipp_argv(folder, target, pair, share, share / ramp_s, media[pair],
                                 timeout_s)
                runs[pair] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, cwd=folder)
        for process in runs.values():
            try:
                process.wait(timeout_s + 60)
            except subprocess.TimeoutExpired:
                stop(process)
    finally:
        for process in runs.values():
            stop(process)
        dropped = capture.finish()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    screens = {pair: (folder / f"sipp-{pair}.out").read_text(errors="replace") for pair in runs}
    return {"sipp_status": {pair: p.returncode for pair, p in runs.items()},
            "wall_s": round(wall, 1),
            "completed": sum(sipp_count(screen, "Successful call") or 0
                             for screen in screens.values()),
            "failed": sum(sipp_count(screen, "Failed call") or 0 for screen in screens.values()),
            "expected": Counter({disposition(pair): share for pair, share in shares.items()}),
            "sipp_cpu_s": round(after.ru_utime + after.ru_stime
                                - before.ru_utime - before.ru_stime, 1),
            "capture_dropped": dropped, "pcap": folder / "rtp.pcap"}


def sipp_count(screen: str, label: str) -> int | None:
    """Return the cumulative count of a line of sipp's final statistics screen."""
    found = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", screen)
    return int(found[-1]) if found else None


def recognised(ends: list[str], expected: Counter) -> int:
    """Return how many calls ended with the disposition their keys chose."""
    seen = Counter(ends)
    return sum(min(count, seen[name]) for name, count in expected.items())


def step_report(stack: str, calls: int, placed: dict, ends: list[str], cpu: float) -> dict:
    """Return one step's figures: completed, recognised, CPU, load and the RTP gaps."""
    wall = placed["wall_s"]
    right = recognised(ends, placed["expected"])
    completed = placed["completed"] or 0
    report = {"stack": stack, "calls": calls, "completed": completed,
              "recognised": right,
              "ok": completed >= TARGET * calls and right >= TARGET * calls,
              "other_ends": dict(Counter(ends) - Counter(
                  {k: min(v, Counter(ends)[k]) for k, v in placed["expected"].items()})),
              "wall_s": wall, "cpu_s": round(cpu, 1),
              "cpu_pct_of_core": round(cpu * 100 / wall, 1) if wall else None,
              "sipp_cpu_s": placed["sipp_cpu_s"], "load_1min_after": os.getloadavg()[0],
              "capture_dropped": placed["capture_dropped"]}
    report |= rtp_capture.gaps(rtp_capture.streams(placed["pcap"]))
    placed["pcap"].unlink()  # hundreds of MB at 500 calls; the figures are kept
    return report


def ended_sessions(folder: Path, since: float, calls: int) -> list[str]:
    """Wait until the execution log holds `calls` sessions ended since `since`; return theirs."""
    from runtime.records import ExecutionLog, open_engine  # the product's code, this venv's
    from runtime.tasks import task_config
    from runtime.workspace import load_settings

    log = ExecutionLog(open_engine(task_config(folder, load_settings(folder)).database_url))
    try:
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            ends = [s["disposition"] or s["status"] for s in log.recent("bench", limit=calls * 2 + 50)
                    if s["started_at"] >= since and s["status"] == "ended"]
            if len(ends) >= calls or time.monotonic() > deadline:
                return ends
            time.sleep(0.5)
    finally:
        log.close()


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
            placed = place(step, ("127.0.0.1", port), calls, ramp_s)
            cpu = cpu_s(process.pid) - cpu
            ends = ended_sessions(folder, since, calls)
            report = step_report("callwright", calls, placed, ends, cpu)
            print(json.dumps(report), flush=True)
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
    lines = ["| stack | calls | completed | recognised | CPU % of a core | load | gap mean / p99 "
             "/ max ms | gaps > 30 ms |", "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        if "note" in r:
            lines.append(f"| {r['stack']} | - | {r['note']} | | | | | |")
            continue
        lines.append(f"| {r['stack']} | {r['calls']} | {r['completed']} | {r['recognised']} | "
                     f"{r['cpu_pct_of_core']} | {r['load_1min_after']:.1f} | "
                     f"{r.get('gap_mean_ms')} / {r.get('gap_p99_ms')} / {r.get('gap_max_ms')} | "
                     f"{r.get('gaps_over_30ms_pct')} % |")
    return "\n".join(lines)


def main() -> None:
    """Run the steps for each stack; print one JSON line a step, then a table and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="100,200,300,500",
                        help="steps of concurrent calls for callwright voice")
    parser.add_argument("--pyvoip-calls", default="25,50,100",
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
        import sip_pyvoip_run  # noqa: PLC0415  (its scratch venv is built only when asked for)
        reports += sip_pyvoip_run.steps(run, [int(n) for n in args.pyvoip_calls.split(",")],
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
