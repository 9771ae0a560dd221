"""Why an event loop's thread held up its ticks: its own work, or waiting for a CPU (perf sched).

`perf record` traces every scheduler switch into or out of one thread while a step runs. A
busy period is the time from the thread waking until it sleeps again (in epoll, the loop idle,
or waiting for the GIL: a trace of switches cannot tell those apart); one longer than a packet's
20 ms delays every call's audio. Each is split into time runnable but preempted (other
processes on the machine's cores), time blocked in the kernel (state D: disk writes, page
faults) and the rest, on a CPU (the loop's own work, the cycle collector). Without perf (or its
tracepoints) a step just has no such figures.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

from processes import stop

SWITCH = re.compile(r"([\d.]+): sched:sched_switch: .*?prev_pid=(\d+) prev_prio=\d+ "
                    r"prev_state=(\S+) ==> .*?next_pid=(\d+)")
HELD_MS = 30.0  # a busy period longer than this shows as a gap in the audio


class SchedTrace:
    """perf recording the scheduler switches of one thread, system-wide, until `finish`."""

    def __init__(self, path: Path, tid: int) -> None:
        self.path, self.tid = path, tid
        self.process = None
        if shutil.which("perf") is None:
            return
        self.process = subprocess.Popen(
            ["perf", "record", "-q", "-a", "-e", "sched:sched_switch", "--filter",
             f"prev_pid == {tid} || next_pid == {tid}", "-o", str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=path.with_suffix(".log").open("wb"))

    def finish(self) -> dict:
        """Stop perf (SIGINT writes its file) and return the step's busy periods, or {}."""
        if self.process is None:
            return {}
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            stop(self.process, 5)
            return {}
        script = subprocess.run(["perf", "script", "-i", str(self.path), "-F", "time,event,trace"],
                                capture_output=True, text=True, timeout=300)
        self.path.unlink(missing_ok=True)
        if script.returncode != 0:
            return {}
        return busy(script.stdout, self.tid)


def busy(trace: str, tid: int) -> dict:
    """Return the busy periods over HELD_MS of thread `tid` in `perf script` output."""
    periods: list[tuple[float, float, float]] = []  # (length, preempted, blocked on I/O)
    start = left = None  # when the period began; (when, state) the thread last left its CPU
    waits = {"R": 0.0, "D": 0.0}
    for found in SWITCH.finditer(trace):
        at, prev, state, following = float(found[1]), int(found[2]), found[3][0], int(found[4])
        if prev == tid:  # switched out: R preempted, D blocked in the kernel (disk, page
            left = (at, state)  # faults), anything else asleep: the loop waits for events
            if state not in waits and start is not None:
                periods.append((at - start, waits["R"], waits["D"]))
                start = None
        elif following == tid:  # switched in
            if start is None:
                start, waits = at, {"R": 0.0, "D": 0.0}
            elif left is not None and left[1] in waits:
                waits[left[1]] += at - left[0]
    long = [period for period in periods if period[0] * 1000 > HELD_MS]
    held = sum(length for length, _, _ in long)
    return {"loop_busy_periods": len(periods),
            f"loop_held_over_{HELD_MS:.0f}ms": len(long),
            "loop_held_max_ms": round(max((p[0] for p in long), default=0.0) * 1000, 1),
            # of the time the loop was held that long: waiting for a CPU, and blocked on I/O
            "loop_held_preempted_pct": round(sum(p[1] for p in long) * 100 / held, 1)
            if held else None,
            "loop_held_io_pct": round(sum(p[2] for p in long) * 100 / held, 1) if held else None}
