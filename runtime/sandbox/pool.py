"""The script pool: pre-forked worker processes that run sandboxed code under limits.

    pool = ScriptPool(workers=2)          # or ScriptPool.from_settings(workspace.settings)
    pool.run("vars['n'] += 1", vars={"n": 1}, contact={}, input=None)
    # -> {"exit": None, "vars": {"n": 2}, "output": ""}

Scripts never run in the server process. Workers are forked from a small, single-threaded
fork server (multiprocessing's "forkserver", preloaded with the sandbox) on first use; each call
sends one JSON request over a pipe and waits for one JSON reply until the wall-clock deadline.
A worker that breaks a limit, overruns the deadline or dies is replaced; the caller gets a
`ScriptError` naming the limit and every other call carries on.

A saturated pool refuses at once rather than queueing without end: at most `max_queued` calls
wait for a worker, each for at most `queue_timeout_s`, and a call that would surely wait longer
(the calls ahead of it times the recent time per call) is not queued at all. The refusal is a
`ScriptPoolBusy` naming the `[sandbox]` setting to raise.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import multiprocessing
import os
import select
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from blocks.sdk import BlockError

from runtime.processes import WorkerProcess, WorkerProcesses

from .worker import serve

MAX_TIMEOUT_MS = 10_000
SETTINGS_SECTION = "sandbox"  # [sandbox] in callwright.toml; [scripts] is its older name
MAX_DEFAULT_WORKERS = 32
QUEUED_PER_WORKER = 16  # default max_queued: cheap scripts (~0.1 ms) drain that in a blink
QUEUE_TIMEOUT_S = 5.0
_MEAN_WEIGHT = 0.2  # of the newest call in the running mean of the time per call


@dataclass(frozen=True)
class Limits:
    """What one call may use."""

    cpu_ms: int = 1000  # CPU time
    memory_mb: int = 64  # memory on top of the worker's own
    max_output: int = 65_536  # characters printed
    max_result: int = 1_048_576  # bytes of the reply: changed vars or value, exit and output


def usable_cpus() -> int:
    """Return how many CPUs this process may run on (its affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """Return the default pool size: one worker per usable CPU, at least 2, at most 32."""
    return min(max(2, usable_cpus()), MAX_DEFAULT_WORKERS)


def pool_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return ScriptPool's arguments from workspace settings (`[sandbox]`, else `[scripts]`)."""
    section = {**(settings.get("scripts") or {}), **(settings.get(SETTINGS_SECTION) or {})}
    limits = {key: section[key] for key in ("cpu_ms", "memory_mb") if key in section}
    return {"workers": section.get("workers"), "limits": Limits(**limits),
            "max_queued": section.get("max_queued"),
            "queue_timeout_s": section.get("queue_timeout_s", QUEUE_TIMEOUT_S)}


class ScriptError(BlockError):
    """A script failed: `kind` is compile, error, result or limit; `limit` names the limit."""

    def __init__(self, message: str, *, kind: str, limit: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.limit = limit
        self.line = line


class ScriptPoolBusy(ScriptError):
    """Every worker is busy and the queue is full (or too slow): the call was not run."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="limit", limit="queue")


def _setting(key: str) -> str:
    """Return how a `[sandbox]` key is named in messages: the toml key and its variable."""
    return f"[{SETTINGS_SECTION}] {key} (CALLWRIGHT_{SETTINGS_SECTION.upper()}_{key.upper()})"


class _Lost(Exception):
    """The worker is gone or unusable: `limit` is wall_clock or crash; `at_send` if idle-dead."""

    def __init__(self, limit: str, detail: str = "", at_send: bool = False) -> None:
        super().__init__(detail)
        self.limit = limit
        self.detail = detail
        self.at_send = at_send


def _context() -> Any:
    """Return the multiprocessing context workers are started from."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # the fork server imports the sandbox once; every worker is forked with it loaded
        context.set_forkserver_preload(["__main__", "runtime.sandbox.worker", "runtime.sandbox.policy"])
    return context


class _Worker(WorkerProcess):
    """One worker process running sandboxed code, and the parent's end of its pipe."""

    def __init__(self, context: Any, limits: Limits) -> None:
        super().__init__(context, serve, (asdict(limits),), "callwright-script")
        # one poll object per worker: Connection.poll builds a selector on every call
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)

    def call(self, payload: bytes, timeout_s: float, max_reply: int) -> dict:
        """Send a request and wait for its reply; raise _Lost when the worker cannot answer."""
        try:
            self.conn.send_bytes(payload)
        except OSError:
            raise _Lost("crash", self._death(), at_send=True) from None
        if not self._poller.poll(max(1, round(timeout_s * 1000))):
            raise _Lost("wall_clock")
        try:
            return json.loads(self.conn.recv_bytes(max_reply))
        except (EOFError, OSError):  # died mid-call, or sent more than any reply may hold
            raise _Lost("crash", self._death()) from None

    def _death(self) -> str:
        """Wait briefly for the process to end and describe how it ended."""
        self.process.join(1)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            try:
                return f"signal {signal.Signals(-code).name}"
            except ValueError:
                return f"signal {-code}"
        return f"exit status {code}"


class ScriptPool(WorkerProcesses[_Worker]):
    """A fixed number of worker processes running scripts and expressions, thread-safe.

    `workers` defaults to one per usable CPU (at least 2), `max_queued` to 16 per worker; a call
    past them, or one that would wait longer than `queue_timeout_s`, raises ScriptPoolBusy.
    """

    def __init__(self, workers: int | None = None, limits: Limits | None = None, *,
                 max_queued: int | None = None,
                 queue_timeout_s: float = QUEUE_TIMEOUT_S) -> None:
        workers = default_workers() if workers is None else workers
        if workers < 1:
            raise ValueError("a script pool needs at least one worker")
        max_queued = QUEUED_PER_WORKER * workers if max_queued is None else max_queued
        if max_queued < 0 or queue_timeout_s < 0:
            raise ValueError("max_queued and queue_timeout_s cannot be negative")
        super().__init__(workers)
        self.limits = limits or Limits()
        self.max_queued = max_queued
        self.queue_timeout_s = queue_timeout_s
        self.refused = 0  # calls refused because the pool was busy
        self._in_flight = 0  # calls admitted: running or waiting for a worker
        self._mean_s = 0.0  # running mean of the time a worker spends on a call
        # one thread per call admitted, so that an admitted call never queues behind the executor
        self._executor = ThreadPoolExecutor(max_workers=workers + max_queued,
                                            thread_name_prefix="callwright-script")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ScriptPool:
        """Build the pool a workspace's settings ask for (`[sandbox]`, see `pool_options`)."""
        return cls(**pool_options(settings))

    @property
    def in_flight(self) -> int:
        """Return how many calls are running or waiting for a worker."""
        with self._cond:
            return self._in_flight

    # --- the calls ----------------------------------------------------------------------------
    def run(self, code: str, vars: dict, contact: dict, input: Any = None, *,
            timeout_ms: int = 1000, now: datetime | None = None) -> dict:
        """Run script code; return {exit, vars (changed keys, null when deleted), output}."""
        return self._admitted(functools.partial(self._run, code, vars, contact, input,
                                                timeout_ms, now))

    def evaluate(self, expression: str, scope: dict, *, timeout_ms: int = 1000,
                 now: datetime | None = None) -> Any:
        """Evaluate an expression with the scope's names (vars, contact, trigger); return it."""
        return self._admitted(functools.partial(self._evaluate, expression, scope, timeout_ms,
                                                now))

    async def run_async(self, code: str, vars: dict, contact: dict, input: Any = None, *,
                        timeout_ms: int = 1000, now: datetime | None = None) -> dict:
        """Async form of `run` (a thread waits for the worker; the event loop does not)."""
        return await self._in_thread(functools.partial(self._run, code, vars, contact, input,
                                                       timeout_ms, now))

    async def evaluate_async(self, expression: str, scope: dict, *, timeout_ms: int = 1000,
                             now: datetime | None = None) -> Any:
        """Async form of `evaluate`."""
        return await self._in_thread(functools.partial(self._evaluate, expression, scope,
                                                       timeout_ms, now))

    def _run(self, code: str, vars: dict, contact: dict, input: Any, timeout_ms: int,
             now: datetime | None, deadline: float) -> dict:
        """Run script code for a call already admitted."""
        reply = self._call({"op": "run", "code": code, "vars": vars, "contact": contact,
                            "input": input}, timeout_ms, now, "script", deadline)
        return {"exit": reply["exit"], "vars": reply["vars"], "output": reply["output"]}

    def _evaluate(self, expression: str, scope: dict, timeout_ms: int, now: datetime | None,
                  deadline: float) -> Any:
        """Evaluate an expression for a call already admitted."""
        reply = self._call({"op": "evaluate", "expression": expression, "scope": scope},
                           timeout_ms, now, "expression", deadline)
        return reply["value"]

    def _admitted(self, call: Callable[[float], Any]) -> Any:
        """Admit a call (or refuse it at once), run it in this thread, then count it out."""
        deadline = self._admit()
        try:
            return call(deadline)
        finally:
            self._release()

    async def _in_thread(self, call: Callable[[float], Any]) -> Any:
        """Admit a call on the event loop (a refusal costs no thread), then run it on a thread."""
        deadline = self._admit()
        try:
            future = self._executor.submit(call, deadline)
        except RuntimeError:  # the executor shut down: the pool has just closed
            self._release()
            raise ScriptError("the script pool is closed", kind="limit", limit="closed") from None
        # counted out when it ends, or when cancelled before it started (the awaiting turn gone)
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _admit(self) -> float:
        """Count a call in, or raise ScriptPoolBusy; return its deadline for getting a worker."""
        with self._cond:
            if self._closed:
                raise ScriptError("the script pool is closed", kind="limit", limit="closed")
            ahead = self._in_flight - self.size  # calls that would still be waiting before it
            refusal = self._refusal(ahead)
            if refusal is not None:
                self.refused += 1
                raise refusal
            self._in_flight += 1
        return time.monotonic() + self.queue_timeout_s

    def _refusal(self, ahead: int) -> ScriptPoolBusy | None:
        """Return why a call with `ahead` calls waiting before it may not queue, or None."""
        if ahead >= self.max_queued:
            queued = (f"{ahead} more calls are waiting, the most allowed" if ahead
                      else "no call may wait for one")
            return ScriptPoolBusy(
                f"the script pool is busy: {_all_running(self.size)} and {queued}; raise "
                f"{_setting('workers')} or {_setting('max_queued')}")
        wait_s = max(ahead, 0) * self._mean_s / self.size
        if wait_s > self.queue_timeout_s:  # it would time out in the queue: say so now
            return ScriptPoolBusy(
                f"the script pool is busy: {ahead} calls are waiting for its "
                f"{_workers(self.size)}, about {wait_s:.1f} s of work, longer than "
                f"{_setting('queue_timeout_s')} ({self.queue_timeout_s:g} s); raise "
                f"{_setting('workers')}")
        return None

    def _release(self) -> None:
        """Count a call out."""
        with self._cond:
            self._in_flight -= 1

    def _call(self, request: dict, timeout_ms: int, now: datetime | None, what: str,
              deadline: float) -> dict:
        """Send a request to a free worker and turn its reply into a result or a ScriptError."""
        timeout_ms = max(1, min(int(timeout_ms), MAX_TIMEOUT_MS))
        request["now"] = now.isoformat() if now is not None else None
        # JSON-able copies: a value that is not JSON (a partner block's datetime) goes as text
        payload = json.dumps(request, default=str, ensure_ascii=False).encode()
        for attempt in (1, 2):
            worker = self._take(deadline, self._busy_error)
            started = time.monotonic()
            try:
                reply = worker.call(payload, timeout_ms / 1000, self.limits.max_result + 4096)
            except _Lost as lost:
                self._replace(worker)
                if lost.at_send and attempt == 1:
                    continue  # it had died while idle, before our request: use its successor
                self._measure(time.monotonic() - started)
                raise self._limit_error(what, lost.limit, timeout_ms, lost.detail) from None
            self._measure(time.monotonic() - started)
            if reply.get("recycle"):
                self._replace(worker)
            else:
                self._give(worker)
            if reply["ok"]:
                return reply
            raise self._reply_error(what, reply, timeout_ms)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _measure(self, seconds: float) -> None:
        """Fold the time a worker spent on a call into the running mean."""
        mean = self._mean_s  # a lost update between threads only makes the mean a little older
        self._mean_s = seconds if mean == 0 else mean + _MEAN_WEIGHT * (seconds - mean)

    def _reply_error(self, what: str, reply: dict, timeout_ms: int) -> ScriptError:
        """Turn a failed reply into a ScriptError with a message that says what happened."""
        kind, message = reply["kind"], reply.get("message", "")
        if kind in ("cpu", "memory", "output"):
            return self._limit_error(what, kind, timeout_ms, message)
        prefix = {"compile": f"{what} does not compile", "result": f"{what} result"}
        return ScriptError(f"{prefix.get(kind, f'{what} failed')}: {message}", kind=kind,
                           line=reply.get("line"))

    def _limit_error(self, what: str, limit: str, timeout_ms: int, detail: str) -> ScriptError:
        """Describe a broken limit: which one, and its value."""
        limits = self.limits
        if limit == "crash" and detail == f"signal {signal.SIGXCPU.name}":
            limit = "cpu"  # the kernel's RLIMIT_CPU backstop ended it
        label = {"cpu": f"CPU time limit ({limits.cpu_ms} ms)",
                 "memory": f"memory limit ({limits.memory_mb} MiB)",
                 "wall_clock": f"wall-clock limit ({timeout_ms} ms)",
                 "output": f"output limit ({limits.max_output} characters printed, "
                           f"{limits.max_result} bytes of result)"}.get(limit)
        if label is None:
            return ScriptError(f"{what} stopped: its worker process crashed ({detail})",
                               kind="limit", limit="crash")
        return ScriptError(f"{what} stopped by the {label}", kind="limit", limit=limit)

    # --- the workers --------------------------------------------------------------------------
    def _new_context(self) -> Any:
        return _context()

    def _start_worker(self, context: Any) -> _Worker:
        return _Worker(context, self.limits)

    def _closed_error(self) -> Exception:
        return ScriptError("the script pool is closed", kind="limit", limit="closed")

    def _busy_error(self) -> ScriptPoolBusy:
        """Count a call refused for want of a free worker, and say so (under the pool's lock)."""
        self.refused += 1
        return ScriptPoolBusy(
            f"the script pool is busy: no script worker became free within "
            f"{self.queue_timeout_s:g} s ({_workers(self.size)}); raise "
            f"{_setting('workers')} or {_setting('queue_timeout_s')}")

    def _replace(self, worker: _Worker) -> None:
        """Stop a worker that broke a limit or died, and start its successor."""
        if self._drop(worker):
            self._give(self._start_counted())

    def warm(self) -> None:
        """Start every worker now rather than on first use."""
        deadline = time.monotonic() + self.queue_timeout_s
        started = [self._take(deadline, self._busy_error) for _ in range(self.size)]
        for worker in started:
            self._give(worker)

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their call returns."""
        self._close_idle()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _workers(count: int) -> str:
    """Return "1 worker" or "N workers"."""
    return f"{count} worker{'s' if count != 1 else ''}"


def _all_running(count: int) -> str:
    """Say that every one of `count` workers is running a script."""
    return ("its one worker is running a script" if count == 1
            else f"all its {count} workers are running scripts")


_shared: ScriptPool | None = None
_shared_settings: dict[str, Any] = {}
_shared_lock = threading.Lock()


def configure_shared_pool(workers: int | None = None, limits: Limits | None = None,
                          **options: Any) -> None:
    """Set the process-wide pool's arguments (closing one already started).

    `configure_shared_pool(**pool_options(settings))` sizes it from a workspace's settings.
    """
    global _shared
    with _shared_lock:
        _shared_settings.clear()
        _shared_settings.update(workers=workers, limits=limits, **options)
        old, _shared = _shared, None
    if old is not None:
        old.close()


def shared_pool() -> ScriptPool:
    """Return the process-wide pool, created on first use and closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ScriptPool(**_shared_settings)
            atexit.register(_shared.close)
        return _shared
