"""sipp's callers for benchmarks/sip.py: one sipp a pair of keys, their verdicts, a step's figures.

Each caller runs benchmarks/sip_caller.xml; the RTP sent to them is captured on lo while they
run (benchmarks/rtp_capture.py). A step's figures: calls completed (sipp's count of successful
calls), calls whose disposition matches their keys, the answering process's CPU (from /proc),
the load average, and the RTP inter-packet gaps.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import rtp_capture
from processes import stop
from sip_ivr import PAIRS, disposition

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "sip_caller.xml"
DTMF_PCAPS = Path("/usr/share/sip-tester")  # RFC 4733 key presses, shipped with Debian's sipp
CALL_S = 25  # how long one call of sip_caller.xml lasts, roughly
TARGET = 0.999  # share of calls that must complete with their digits recognised


def free_udp_port(even: bool = False) -> int:
    """Return a UDP port on 127.0.0.1 that is free right now (an even one for RTP)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not even or port % 2 == 0:
            return port


def cpu_s(pid: int) -> float:
    """Return the CPU seconds of a process and of its children, live or waited for (/proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        # fields after the name: state, ppid, ..., utime, stime, cutime, cstime (12th to 15th)
        if stat.parent.name == str(pid):
            total += sum(int(value) for value in fields[11:15])
        elif fields[1] == str(pid):  # a live child (Kamailio's workers), cutime not yet counted
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


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
            "wall_s": round(wall, 1), "ramp_s": ramp_s,
            "completed": sum(sipp_count(screen, "Successful call") or 0
                             for screen in screens.values()),
            "failed": sum(sipp_count(screen, "Failed call") or 0 for screen in screens.values()),
            "expected": Counter({disposition(pair): share for pair, share in shares.items()}),
            "callers_cpu_s": round(after.ru_utime + after.ru_stime
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
              "other_ends": dict(Counter(ends) - placed["expected"]),  # wrong branch, hang-up
              "wall_s": wall, "cpu_s": round(cpu, 1),
              "cpu_pct_of_core": round(cpu * 100 / wall, 1) if wall else None,
              "callers_cpu_s": placed["callers_cpu_s"], "load_1min_after": os.getloadavg()[0],
              "capture_dropped": placed["capture_dropped"]}
    # every call is up once the ramp is over, and the first ones end about 22 s after starting
    steady = (placed["ramp_s"] + 1.0, CALL_S - 3.0)
    report |= rtp_capture.gaps(rtp_capture.streams(placed["pcap"]),
                               steady if steady[1] > steady[0] else None)
    placed["pcap"].unlink()  # 60 MB at 500 calls, 250 MB at 2,000; the figures are kept
    return report
