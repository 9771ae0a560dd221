"""Worker processes a server hands CPU-heavy or unsafe work to: at most `size`, started on demand.

The script sandbox (`runtime.sandbox.pool`) and the validation of sent flows
(`runtime.validation.workers`) each keep such a set. What they share lives here: counting the
live workers, lending an idle one or starting a new one while fewer than `size` live, taking
it back, and stopping the idle ones at close. What they do with a worker, how they admit calls
and what a lost worker means are theirs.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Generic, TypeVar


class WorkerProcess:
    """One daemon process (it ends with the server's) and the parent's end of its duplex pipe."""

    def __init__(self, context: Any, target: Callable[..., None], args: tuple, name: str) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=target, args=(child, *args), daemon=True, name=name)
        self.process.start()
        child.close()

    @property
    def pid(self) -> int | None:
        """Return the worker's process id."""
        return self.process.pid

    def stop(self) -> None:
        """Kill the process and release the pipe."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


W = TypeVar("W", bound=WorkerProcess)


class WorkerProcesses(ABC, Generic[W]):
    """At most `size` worker processes, each lent to one caller at a time; thread-safe.

    A subclass says how a worker starts (`_start_worker`), from which multiprocessing context
    (`_new_context`, made on first use), and what a caller gets when the set is closed
    (`_closed_error`).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.replaced = 0  # workers stopped after they died, got stuck or broke a limit
        self._context: Any = None
        self._idle: list[W] = []
        self._live = 0
        self._closed = False
        self._cond = threading.Condition()

    @abstractmethod
    def _new_context(self) -> Any:
        """Return the multiprocessing context workers start from."""

    @abstractmethod
    def _start_worker(self, context: Any) -> W:
        """Start one worker process."""

    @abstractmethod
    def _closed_error(self) -> Exception:
        """Return the error of a caller who asks for a worker once the set has closed."""

    def _take(self, deadline: float | None = None,
              busy: Callable[[], Exception] | None = None) -> W:
        """Return an idle worker, starting one while fewer than `size` live; else wait for one.

        With a `deadline` (time.monotonic()), waiting past it raises what `busy()` returns
        (called under the set's lock).
        """
        with self._cond:
            while True:
                if self._closed:
                    raise self._closed_error()
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    break
                if deadline is None:
                    self._cond.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise busy() if busy is not None else TimeoutError("no worker came free")
        return self._start_counted()

    def _start_counted(self) -> W:
        """Start a worker already counted as live; uncount it if the start fails."""
        try:
            if self._context is None:
                self._context = self._new_context()
            return self._start_worker(self._context)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def _give(self, worker: W) -> None:
        """Return a worker to the idle list (or stop it when the set has closed)."""
        with self._cond:
            if not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._live -= 1
        worker.stop()

    def _drop(self, worker: W) -> bool:
        """Stop a worker that died, got stuck or broke a limit; return whether one may replace it.

        It stays counted as live when a successor may start (the caller starts it); when the set
        has closed it is counted out.
        """
        worker.stop()
        with self._cond:
            self.replaced += 1
            if self._closed:
                self._live -= 1
                return False
        return True

    def pids(self) -> list[int]:
        """Return the process ids of the idle workers (for tests and monitoring)."""
        with self._cond:
            return [w.pid for w in self._idle if w.pid is not None]

    def _close_idle(self) -> None:
        """Close the set: stop every idle worker; busy ones stop when they are given back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()
