"""The children `callwright serve` runs beside granian: task worker, voice node, mail receiver.

Each child is a callwright command itself (`python -m builder.cli worker`, `... voice`), started
by serve's main process before granian forks its workers, so however many HTTP workers run, one
consumer takes tasks and one node owns the SIP socket and its calls.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click

from runtime.tasks import task_config

from ..lifetime import die_with

# SIGTERM makes Huey's consumer put a running task back on the queue and exit at once; a worker
# that has not gone by then is killed (the delivery ledger's lease recovers what it was doing).
STOP_TIMEOUT_S = 5.0


def worker_command(root: Path) -> list[str]:
    """Return the argv of `callwright worker` for a workspace, run by this interpreter."""
    return [sys.executable, "-m", "builder.cli", "worker", "--workspace", str(root)]


def voice_command(root: Path, sip: str) -> list[str]:
    """Return the argv of `callwright voice` for a workspace, run by this interpreter."""
    return [sys.executable, "-m", "builder.cli", "voice", "--workspace", str(root), "--sip", sip]


def mail_command(root: Path, smtp: str) -> list[str]:
    """Return the argv of `callwright mail` for a workspace, run by this interpreter."""
    return [sys.executable, "-m", "builder.cli", "mail", "--workspace", str(root), "--smtp", smtp]


class WorkerChild:
    """A callwright command as serve's child; says loudly on stderr if it dies before `stop`."""

    def __init__(self, root: Path, argv: list[str] | None = None, *,
                 name: str = "the task worker",
                 meaning: str = "messages, callbacks and campaigns stay queued until a worker "
                                "runs (restart serve, or run `callwright worker`)") -> None:
        self.name = name
        self.meaning = meaning  # what its death means, said when it dies
        # A process group of its own, so that Ctrl+C reaches serve alone and serve stops the
        # child after granian, rather than the child vanishing first as if it had crashed.
        self.process = subprocess.Popen(argv or worker_command(root), stdin=subprocess.DEVNULL,
                                        process_group=0,
                                        preexec_fn=_dying_with_parent())  # noqa: PLW1509
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="callwright-child-watcher",
                                         daemon=True)

    def watch(self) -> None:
        """Start reporting the child's death; once serve has started all its children.

        Its thread would keep a child started after it from dying with serve (see
        `_dying_with_parent`).
        """
        self._watcher.start()

    @property
    def pid(self) -> int:
        """Return the child's process id."""
        return self.process.pid

    def _watch(self) -> None:
        """Wait for the child to end; unless serve is stopping it, report that on stderr."""
        try:
            # WNOWAIT leaves the child for Popen to reap, so its PID cannot be reused (and
            # signalled by `stop`) while this thread looks at it
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:  # `stop` reaped it first
            return
        if self._stopping.is_set():
            return
        click.echo(f"error: {self.name} (PID {self.pid}) {_ending(info)} while serve runs: "
                   f"{self.meaning}", err=True)

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM), without waiting: serve asks all its children first."""
        self._stopping.set()
        if self.process.poll() is None:
            self.process.terminate()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Stop the child: SIGTERM (once), SIGKILL after `timeout` seconds; return its exit code."""
        if not self._stopping.is_set():
            self.terminate()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                click.echo(f"error: {self.name} (PID {self.pid}) did not stop within "
                           f"{timeout:g} s of SIGTERM; killing it", err=True)
                self.process.kill()
                self.process.wait()
        if self._watcher.is_alive():
            self._watcher.join(timeout)
        return self.process.returncode


def start_worker(root: Path, settings: dict, wanted: bool | None) -> WorkerChild | None:
    """Start the workspace's task worker unless it is off or the queue is immediate; say which."""
    config = task_config(root, settings)
    if config.immediate:
        click.echo("No task worker: [tasks] immediate is true, so tasks run where they are "
                   "queued.")
        return None
    if not (settings.get("server", {}).get("worker", True) if wanted is None else wanted):
        why = "[server] worker = false" if wanted is None else "--no-worker"
        click.echo(f"No task worker ({why}): tasks queued at {config.where} wait for a "
                   f"`callwright worker`.")
        return None
    child = WorkerChild(root)
    click.echo(f"Task worker running (PID {child.pid}) on the queue at {config.where}; it stops "
               f"with serve.")
    return child


def start_voice(root: Path, settings: dict, sip: str) -> WorkerChild:
    """Start the workspace's voice node: it answers calls and places the queued ones; say so."""
    backends = settings.get("ports", {}).get("backends", ["sip"])
    child = WorkerChild(root, voice_command(root, sip), name="the voice node",
                        meaning="no calls are answered or placed until serve restarts (or run "
                                "`callwright voice`)")
    shown = ", ".join(f"SIP on udp:{sip}" if name == "sip" else name for name in backends)
    answering = f"answering calls ({shown})" if backends else \
        "answering no calls ([ports] backends is empty)"
    dials = settings.get("voice", {}).get("backend", "emulator")
    click.echo(f"Voice node running (PID {child.pid}): {answering}, placing outbound calls on "
               f"{dials}; it stops with serve.")
    return child


def start_mail(root: Path, smtp: str | None) -> WorkerChild | None:
    """Start the workspace's SMTP receiver on `smtp` when one is asked for; say so."""
    if smtp is None:
        return None
    child = WorkerChild(root, mail_command(root, smtp), name="the mail receiver",
                        meaning="no mail is received until serve restarts (or run "
                                "`callwright mail`)")
    click.echo(f"Mail receiver running (PID {child.pid}): SMTP on tcp:{smtp}; it stops with "
               f"serve.")
    return child


def _ending(info: os.waitid_result) -> str:
    """Describe how a child ended, from its waitid result."""
    if info.si_code == os.CLD_EXITED:
        return f"exited with code {info.si_status}"
    try:
        name = signal.Signals(info.si_status).name
    except ValueError:
        name = f"signal {info.si_status}"
    return f"was killed by {name}"


def _dying_with_parent() -> Callable[[], None] | None:
    """Return a function run in the child before exec that has Linux SIGTERM it when serve dies.

    Without it a serve killed outright (SIGKILL, the OOM killer) would leave its worker running
    on the queue, and the next serve would start a second one beside it. None where that cannot
    be asked for safely: off Linux, or once this process runs other threads (a lock one of them
    holds at the fork would stay held in the child).
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    return functools.partial(die_with, os.getpid())
