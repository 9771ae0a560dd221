"""Validation of sent flows in worker processes, so that it never holds up a server's turns.

    pool = ValidationPool.from_settings(workspace.settings)   # or shared_validation_pool(...)
    body = pool.check(text, flow_id="support-line", registry=registry, flows=workspace.docs)
    # -> b'{"ok":false,"problems":[{"severity":"error","pointer":"/blocks/menu/config",...}]}'

Validating a big flow is seconds of pure Python: in a serving process it holds the GIL, and a
thread of its own would not let the event loop's turns through. So the work (parsing, every
layer, placing each problem on its line, the JSON of the report) runs in a few worker processes
at a lower CPU priority, and the server only hands over the text and the report's bytes. At most
`workers + max_queued` checks are in hand at once; one more is refused at once (ValidationBusy,
with a time to retry) instead of queueing behind the others.
"""

from __future__ import annotations

import atexit
import json
import math
import multiprocessing
import os
import signal
import threading
import time
from typing import Any, Mapping

from blocks.registry import Registry, default_registry
from runtime.errors import EngineError, InvalidFlow

from runtime.processes import WorkerProcess, WorkerProcesses

from .flow import too_many_blocks, validate_flow
from .graph import subflow_calls
from .problem import Problem
from .source import locate, parse_json

SETTINGS_SECTION = "validation"
WORKERS = 1
MAX_QUEUED = 2  # with the one running, 3 of a serve worker's 4 Flask threads at most
NICENESS = 10  # a validation gives way to turns on a busy machine
TIMEOUT_S = 120.0  # far beyond any flow within MAX_BLOCKS; a stuck worker must not hold a thread
_MEAN_WEIGHT = 0.3

CallGraph = dict[str, list[tuple[str, str]]]


class ValidationBusy(EngineError):
    """As many validations as the process takes are running or waiting: try again later."""

    code = "validation_busy"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FlowTooLarge(InvalidFlow):
    """A flow has more blocks than a flow may have; it was not validated further."""

    code = "flow_too_large"


def check_flow_text(text: str, flow_id: str, registry: Registry,
                    flows: Mapping[str, Any],
                    bots: Mapping[str, Any] | None = None) -> list[Problem]:
    """Return every problem of a flow's JSON text sent for `flow_id`, sorted, with lines.

    `flows` are the workspace's flows by id (for subflows), `bots` its bots (for bot blocks);
    the document's `id` must be `flow_id` (the flow of the URL it was sent to).
    """
    return _check_text(text, flow_id, registry, flows, bots)[0]


def _check_text(text: str, flow_id: str, registry: Registry, flows: Mapping[str, Any],
                bots: Mapping[str, Any] | None = None) -> tuple[list[Problem], bool]:
    """Return (every problem, with lines; whether the flow has more blocks than allowed)."""
    source = f"flows/{flow_id}.json"
    doc, problems = parse_json(text, source)
    if problems:
        return problems, False
    too_big = too_many_blocks(doc)
    if too_big is not None:
        return locate([too_big], text, source), True
    problems = validate_flow(doc, registry, flows={**flows, flow_id: doc}, bots=bots)
    body_id = doc.get("id") if isinstance(doc, dict) else None
    if isinstance(body_id, str) and body_id != flow_id:
        problems.append(Problem("error", "/id", f"flow id {body_id!r} does not match the flow "
                                                f"{flow_id!r} of the URL"))
    problems.sort(key=lambda p: (p.pointer, p.message, p.severity))
    return locate(problems, text, source), False


def report_json(problems: list[Problem]) -> bytes:
    """Return the report `{"ok", "problems"}` as compact UTF-8 JSON."""
    ok = not any(problem.is_error for problem in problems)
    report = {"ok": ok, "problems": [problem.as_dict() for problem in problems]}
    return json.dumps(report, separators=(",", ":"), ensure_ascii=False).encode()


def _checked(text: str, flow_id: str, registry: Registry, flows: Mapping[str, Any],
             bots: Mapping[str, Any] | None = None) -> tuple[bool, bytes]:
    """Return (too many blocks?, the report's JSON) for a flow's text."""
    problems, too_large = _check_text(text, flow_id, registry, flows, bots)
    return too_large, report_json(problems)


def _check_in_worker(text: str, flow_id: str, calls: CallGraph,
                     bots: Mapping[str, Any] | None) -> tuple[bool, bytes]:
    """Check a flow's text in a worker: the process-wide registry, the workspace's subflow calls
    and its bots' intents."""
    flows = {other: _calls_doc(targets) for other, targets in calls.items()}
    return _checked(text, flow_id, default_registry(), flows, bots)


def _intents_doc(bot: Any) -> Any:
    """Return a stand-in bot holding only which intents it has and which have a response (all
    the bot checks of a flow read); None stays None (a broken bot)."""
    if not isinstance(bot, Mapping) or not isinstance(bot.get("intents"), Mapping):
        return None
    return {"intents": {name: ({"response": True} if isinstance(intent, Mapping)
                               and "response" in intent else {})
                        for name, intent in bot["intents"].items()}}


def _calls_doc(calls: list[tuple[str, str]]) -> dict:
    """Return a stand-in flow holding only a flow's subflow calls (all the subflow checks read)."""
    return {"blocks": {block_id: {"type": "subflow", "config": {"flow": target}}
                       for block_id, target in calls}}


def _serve(conn: Any) -> None:
    """Answer checks until the pool closes the pipe (a worker process's target)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: the work still runs, at normal priority
        pass
    default_registry()  # loaded before the first check, not during it
    while True:
        try:
            text, flow_id, calls, bots = conn.recv()
        except EOFError:  # the pool closed the pipe: the server is stopping
            return
        conn.send(_check_in_worker(text, flow_id, calls, bots))


def _context() -> Any:
    """Return the multiprocessing context workers start from (a fork server, no threads)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Worker(WorkerProcess):
    """One validation worker process and the parent's end of its pipe."""

    def __init__(self, context: Any) -> None:
        super().__init__(context, _serve, (), "callwright-validation")

    def call(self, text: str, flow_id: str, calls: CallGraph,
             bots: Mapping[str, Any] | None) -> tuple[bool, bytes]:
        """Hand over a check and wait for its answer; raise _Lost when there is none."""
        try:
            self.conn.send((text, flow_id, calls, bots))
            if not self.conn.poll(TIMEOUT_S):
                raise _Lost(f"it did not answer within {TIMEOUT_S:g} s")
            return self.conn.recv()
        except (EOFError, OSError):
            raise _Lost("its process ended") from None


class _Lost(Exception):
    """A worker cannot answer: it died, or it is stuck."""


class ValidationPool(WorkerProcesses[_Worker]):
    """A few worker processes that validate sent flows; thread-safe, started on first use."""

    def __init__(self, workers: int = WORKERS, max_queued: int = MAX_QUEUED) -> None:
        if workers < 1 or max_queued < 0:
            raise ValueError("a validation pool needs a worker and cannot queue fewer than none")
        super().__init__(workers)
        self.max_queued = max_queued
        self.refused = 0
        self._in_flight = 0
        self._mean_s = 0.0  # running mean of the time a check takes
        self._calls: dict[str, tuple[Any, list[tuple[str, str]]]] = {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ValidationPool:
        """Build the pool `[validation] workers` and `max_queued` ask for."""
        return cls(**validation_options(settings))

    @property
    def in_flight(self) -> int:
        """Return how many checks are running or waiting for a worker."""
        with self._cond:
            return self._in_flight

    def check(self, text: str, *, flow_id: str, registry: Registry,
              flows: Mapping[str, Any], bots: Mapping[str, Any] | None = None) -> bytes:
        """Return the JSON report of a flow's text; raise FlowTooLarge or ValidationBusy.

        With the process-wide registry the check runs in a worker; with a registry of its own
        (a test's) it runs here, bounded all the same. `bots` (the workspace's, by id) enables
        the checks of bot blocks.
        """
        self._admit()
        started = time.monotonic()
        intents = None if bots is None else {bot_id: _intents_doc(doc)
                                             for bot_id, doc in bots.items()}
        try:
            if registry is default_registry():
                too_large, body = self._in_worker(text, flow_id, self._call_graph(flows),
                                                  intents)
            else:
                too_large, body = _checked(text, flow_id, registry, flows, intents)
        finally:
            self._release(time.monotonic() - started)
        if too_large:
            problems = [Problem(**p) for p in json.loads(body)["problems"]]
            raise FlowTooLarge(problems[0].message, problems)
        return body

    def _in_worker(self, text: str, flow_id: str, calls: CallGraph,
                   bots: Mapping[str, Any] | None) -> tuple[bool, bytes]:
        """Run a check in a free worker; a worker lost on the way is replaced, and tried again."""
        for attempt in (1, 2):
            worker = self._take()
            try:
                answer = worker.call(text, flow_id, calls, bots)
            except _Lost as lost:
                self._replace(worker)
                if attempt == 2:
                    raise EngineError(f"a validation worker failed: {lost}") from None
                continue
            self._give(worker)
            return answer
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _admit(self) -> None:
        """Count a check in, or raise ValidationBusy when as many are in hand as allowed."""
        with self._cond:
            if self._closed:
                raise ValidationBusy("the validation pool is closed", 1)
            if self._in_flight >= self.size + self.max_queued:
                self.refused += 1
                raise ValidationBusy(
                    f"validation is busy: {self._in_flight} flows are being validated or waiting, "
                    f"the most this server process takes at once; try again in "
                    f"{self._retry_after()} s, or raise {_setting('workers')} or "
                    f"{_setting('max_queued')}", self._retry_after())
            self._in_flight += 1

    def _release(self, took: float) -> None:
        """Count a check out and fold its time into the running mean."""
        with self._cond:
            self._in_flight -= 1
            mean = self._mean_s
            self._mean_s = took if mean == 0 else mean + _MEAN_WEIGHT * (took - mean)

    def _retry_after(self) -> int:
        """Return whole seconds after which a place is likely free: about one check's time."""
        return max(1, math.ceil(self._mean_s))

    def _call_graph(self, flows: Mapping[str, Any]) -> CallGraph:
        """Return each flow's subflow calls, reusing those of documents seen before."""
        seen = self._calls
        kept: dict[str, tuple[Any, list[tuple[str, str]]]] = {}
        for flow_id, doc in flows.items():
            known = seen.get(flow_id)
            if known is None or known[0] is not doc:  # the entry holds the doc: ids stay unique
                known = (doc, subflow_calls(doc))
            kept[flow_id] = known
        self._calls = kept  # flows gone from the workspace are forgotten
        return {flow_id: calls for flow_id, (_, calls) in kept.items()}

    # --- the workers --------------------------------------------------------------------------
    def _new_context(self) -> Any:
        return _context()

    def _start_worker(self, context: Any) -> _Worker:
        return _Worker(context)

    def _closed_error(self) -> Exception:
        return ValidationBusy("the validation pool is closed", 1)

    def _replace(self, worker: _Worker) -> None:
        """Stop a worker that died or got stuck; the next check starts its successor."""
        if self._drop(worker):
            with self._cond:
                self._live -= 1
                self._cond.notify()

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their check returns."""
        self._close_idle()


def validation_options(settings: Mapping[str, Any]) -> dict[str, int]:
    """Return ValidationPool's arguments from workspace settings (`[validation]`)."""
    section = settings.get(SETTINGS_SECTION) or {}
    return {"workers": section.get("workers", WORKERS),
            "max_queued": section.get("max_queued", MAX_QUEUED)}


def _setting(key: str) -> str:
    """Return how a `[validation]` key is named in messages: the toml key and its variable."""
    return f"[{SETTINGS_SECTION}] {key} (CALLWRIGHT_{SETTINGS_SECTION.upper()}_{key.upper()})"


_shared: ValidationPool | None = None
_shared_options: dict[str, int] = {}
_shared_lock = threading.Lock()


def shared_validation_pool(settings: Mapping[str, Any]) -> ValidationPool:
    """Return the process-wide pool for these settings (replacing one made for others)."""
    global _shared
    options = validation_options(settings)
    with _shared_lock:
        if _shared is not None and options == _shared_options:
            return _shared
        old, _shared = _shared, ValidationPool(**options)
        _shared_options.clear()
        _shared_options.update(options)
        pool = _shared
    if old is not None:
        old.close()
    else:
        atexit.register(_close_shared)
    return pool


def _close_shared() -> None:
    """Stop the process-wide pool's workers (at exit)."""
    with _shared_lock:
        pool = _shared
    if pool is not None:
        pool.close()
