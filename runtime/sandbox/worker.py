"""The loop of one script worker process: JSON requests in, JSON replies out, under limits.

Runs in a child of the pool (never in the server process). Per call it arms the limits:
an `ITIMER_PROF` timer for CPU time (a handler that replies and exits, so no `except` in a
script can keep it), `RLIMIT_CPU` as the kernel's backstop for C code the timer cannot
interrupt, and `RLIMIT_AS` set to the worker's current size plus the memory budget. After a call
that broke a limit the worker exits and the pool starts a fresh one.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import warnings
from datetime import datetime
from typing import Any

from . import policy
from .library import Clock, reseed

# Replies whose `kind` names a broken limit; the worker is replaced after sending one.
LIMIT_KINDS = frozenset({"cpu", "memory", "output"})
_INFINITY = resource.RLIM_INFINITY


class _Meter:
    """Reads this process's virtual memory size cheaply (one pread of /proc/self/statm)."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open("/proc/self/statm", os.O_RDONLY)
        except OSError:  # not Linux: the memory limit is not enforced
            self._fd = None
        self._page = os.sysconf("SC_PAGE_SIZE") if self._fd is not None else 0

    def size(self) -> int | None:
        """Return the virtual memory size in bytes, None when unknown."""
        if self._fd is None:
            return None
        return int(os.pread(self._fd, 64, 0).split()[0]) * self._page


class _Limits:
    """Arms and disarms the per-call limits of this worker."""

    def __init__(self, cpu_ms: int, memory_mb: int) -> None:
        self.cpu_s = cpu_ms / 1000
        self.memory = memory_mb * 1024 * 1024
        self.meter = _Meter()
        self.baseline = self.meter.size()
        self.armed = False
        self._as_hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        self._cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]

    def arm(self) -> None:
        """Start the CPU timer and cap address space and CPU seconds for one call."""
        size = self.meter.size()
        if size is not None:
            resource.setrlimit(resource.RLIMIT_AS, (_cap(size + self.memory, self._as_hard),
                                                    self._as_hard))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # whole seconds of cumulative CPU: the first whole second past the timer's deadline
        seconds = int(usage.ru_utime + usage.ru_stime + self.cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (_cap(seconds, self._cpu_hard), self._cpu_hard))
        self.armed = True
        signal.setitimer(signal.ITIMER_PROF, self.cpu_s)

    def disarm(self) -> None:
        """Stop the timer and lift the caps (soft limits back to the hard ones)."""
        signal.setitimer(signal.ITIMER_PROF, 0)
        self.armed = False  # a signal that came before this line is handled after it: ignore it
        resource.setrlimit(resource.RLIMIT_AS, (self._as_hard, self._as_hard))
        resource.setrlimit(resource.RLIMIT_CPU, (self._cpu_hard, self._cpu_hard))

    def grown(self) -> bool:
        """Return True when the worker kept more than a budget of memory since it started."""
        size = self.meter.size()
        return size is not None and self.baseline is not None and size > self.baseline + self.memory


def _cap(value: int, hard: int) -> int:
    """Return a soft limit no higher than the hard one."""
    return value if hard == _INFINITY else min(value, hard)


def _harden() -> None:
    """Take away what a worker never needs: core dumps and new processes; keep stderr quiet."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    warnings.simplefilter("ignore")  # compiling users' code must not write to the server's log
    for limit in (resource.RLIMIT_CORE, resource.RLIMIT_NPROC):
        try:
            resource.setrlimit(limit, (0, resource.getrlimit(limit)[1]))
        except (ValueError, OSError):  # an unsupported limit is defence in depth lost, not fatal
            pass


def _reply(conn: Any, reply: dict, limits: _Limits, max_result: int) -> bool:
    """Send a reply (refusing one over the size cap); return True when the worker must go.

    The reply says so (`recycle`), so the pool replaces this worker instead of reusing it.
    """
    data = json.dumps(reply, ensure_ascii=False).encode()
    if len(data) > max_result:
        reply = {"ok": False, "kind": "output",
                 "message": f"its result and output take more than {max_result} bytes"}
    leaving = reply.get("kind") in LIMIT_KINDS or bool(reply.get("recycle")) or limits.grown()
    if leaving or len(data) > max_result:
        data = json.dumps({**reply, "recycle": leaving}, ensure_ascii=False).encode()
    conn.send_bytes(data)
    return leaving


def _handle(request: dict, limits: _Limits, max_output: int) -> dict:
    """Run one request under the limits and return its reply."""
    now = request.get("now")
    Clock.fixed = datetime.fromisoformat(now) if now else None
    limits.arm()
    try:
        if request["op"] == "run":
            result = policy.run_script(request["code"], request["vars"], request["contact"],
                                        request["input"], max_output=max_output)
        else:
            result = {"value": policy.evaluate(request["expression"], request["scope"],
                                                max_output=max_output)}
        return {"ok": True, **result}
    except policy.ScriptProblem as problem:
        return {"ok": False, "kind": problem.kind, "message": str(problem), "line": problem.line}
    except MemoryError:
        return {"ok": False, "kind": "memory", "message": "the script ran out of memory"}
    finally:
        limits.disarm()


def serve(conn: Any, settings: dict) -> None:
    """Answer requests from the pool until it closes the pipe (the worker process's target)."""
    _harden()
    reseed()
    limits = _Limits(settings["cpu_ms"], settings["memory_mb"])

    def out_of_cpu(signum: int, frame: Any) -> None:
        """Reply that the CPU limit was hit and leave: no script code runs after this."""
        if not limits.armed:  # the call ended first; its reply may be on its way
            return
        conn.send_bytes(json.dumps({"ok": False, "kind": "cpu", "recycle": True,
                                    "message": "the script used up its CPU time"}).encode())
        os._exit(0)

    signal.signal(signal.SIGPROF, out_of_cpu)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:  # the pool closed the pipe: it is shutting down
            return
        try:
            reply = _handle(request, limits, settings["max_output"])
        except BaseException as exc:  # SystemExit and the like from a script: report, then go
            reply = {"ok": False, "kind": "error", "message": f"{type(exc).__name__}: {exc}",
                     "recycle": True}
        if _reply(conn, reply, limits, settings["max_result"]):
            return
