"""Helpers for tests that run a real `callwright serve` (or another callwright command).

Importable as `serving` from any test or conftest: pyproject.toml puts tests/support on
pytest's `pythonpath`, and this folder holds only such support modules.
"""

from __future__ import annotations

import json

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

START_TIMEOUT_S = 120.0  # normally ~2 s; a loaded shared machine has taken over 60 s to import
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def callwright_command(*args: str) -> list[str]:
    """Return the argv running the installed `callwright` console script (or its module)."""
    script = shutil.which("callwright", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script, *args]
    return [sys.executable, "-c", "from builder.cli import main; main()", *args]


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> int:
    """Stop a process by its PID: SIGTERM, then SIGKILL after `timeout` s; return its exit code.

    A process that does not end even after SIGKILL raises subprocess.TimeoutExpired.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


def answers_health(base: str) -> bool:
    """Return whether GET {base}/api/v1/health answers 200 right now."""
    try:
        with urllib.request.urlopen(f"{base}/api/v1/health", timeout=10) as answer:
            return answer.status == 200
    except urllib.error.HTTPError as exc:
        exc.close()
        return False
    except OSError:
        return False


def wait_healthy(base: str, process: subprocess.Popen, log: Path,
                 timeout: float = START_TIMEOUT_S) -> None:
    """Wait (bounded) until /api/v1/health answers; fail with the log if serve exits or never
    answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        if answers_health(base):
            return
        time.sleep(0.2)
    pytest.fail(f"serve did not answer within {timeout:g} s:\n{log.read_text()}")


class Served(NamedTuple):
    """A running `callwright serve`: its base URL, port, process and log file."""

    base: str
    port: int
    process: subprocess.Popen
    log: Path


def _routes_email(root: Path) -> bool:
    """Return whether a workspace routes e-mail (serve then receives it on 2525 by default)."""
    try:
        return bool(json.loads((root / "routes.json").read_text("utf-8")).get("email"))
    except (OSError, ValueError, AttributeError):
        return False


@contextmanager
def running_serve(root: Path, *options: str, log: Path, port: int | None = None,
                  cwd: Path | None = None, timeout: float = START_TIMEOUT_S,
                  stop_timeout: float = STOP_TIMEOUT_S) -> Iterator[Served]:
    """Run `callwright serve --workspace ROOT --port PORT OPTIONS...` on 127.0.0.1 (a free port
    unless given) until the block ends, its output in `log`; yield it once it answers health.

    It is stopped by its PID at the end (SIGTERM, then SIGKILL after `stop_timeout` s).
    """
    port = free_port() if port is None else port
    if "--sip" not in options:  # its voice node on a free port, never on a shared 5060
        options = (*options, "--sip", "127.0.0.1:0")
    if "--smtp" not in options and _routes_email(root):  # nor its mail receiver on 2525
        options = (*options, "--smtp", "127.0.0.1:0")
    with log.open("wb") as out:
        process = subprocess.Popen(
            callwright_command("serve", "--workspace", str(root), "--port", str(port), *options),
            stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, process, log, timeout)
        yield Served(base, port, process, log)
    finally:
        stop(process, stop_timeout)
