"""Processes serve starts end with it, even when serve is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


CHILD = """
import os, sys, time
from builder.lifetime import die_with
die_with(int(sys.argv[1]))
print("ready", flush=True)
time.sleep(60)
"""
MIDDLE = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(__import__("os").getpid())],
                         stdout=subprocess.PIPE, text=True)
print(child.pid, flush=True)
print(child.stdout.readline().strip(), flush=True)
__import__("time").sleep(60)
"""


def gone(pid: int, within_s: float) -> bool:
    """Return whether process `pid` has ended (or is a zombie) within `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_asked_is_ended_when_its_parent_is_killed_outright() -> None:
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, CHILD], stdout=subprocess.PIPE,
                              text=True)
    try:
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "ready"
        middle.kill()  # SIGKILL: the parent cannot stop its child itself
        middle.wait(10)
        assert gone(child, 10)
    finally:
        middle.kill()
        middle.wait(10)
        middle.stdout.close()
        if not gone(child, 0):
            os.kill(child, signal.SIGKILL)


def test_a_child_whose_parent_is_already_gone_ends_at_once() -> None:
    child = subprocess.run([sys.executable, "-c", CHILD, "1"], capture_output=True, text=True,
                           timeout=30)
    assert child.returncode == 1 and "ready" not in child.stdout


def test_outside_a_worker_of_serve_nothing_is_asked(monkeypatch) -> None:
    from builder.lifetime import SERVE_PID, die_with_serve

    monkeypatch.setenv(SERVE_PID, str(os.getpid()))  # serve's own process
    die_with_serve()
    monkeypatch.setenv(SERVE_PID, "1")  # a variable inherited from further up
    die_with_serve()  # still running: nothing ended this process


def test_a_worker_whose_serve_died_before_it_could_ask_ends_at_once() -> None:
    # serve killed while its HTTP workers were still importing: they are orphans already
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    worker = subprocess.run(
        [sys.executable, "-c", "from builder.lifetime import die_with_serve\n"
                               "die_with_serve()\nprint('serving')"],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "CALLWRIGHT_SERVE_PID": str(dead.pid)})
    assert worker.returncode == 1 and "serving" not in worker.stdout


DEAF_WORKER = """
import os, signal, sys, time
os.environ["CALLWRIGHT_SERVE_PID"] = sys.argv[1]
from builder.lifetime import die_with_serve
die_with_serve()
signal.signal(signal.SIGTERM, lambda *_: None)  # a worker that does not act on SIGTERM yet
print("ready", flush=True)
time.sleep(60)
"""


def test_a_worker_deaf_to_the_first_sigterm_is_still_ended_after_serve_is_killed() -> None:
    # granian's worker can take the parent-death signal while it is still starting, and lose it
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, DEAF_WORKER], stdout=subprocess.PIPE,
                              text=True)
    try:
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "ready"
        middle.kill()
        middle.wait(10)
        assert gone(child, 15)
    finally:
        middle.kill()
        middle.wait(10)
        middle.stdout.close()
        if not gone(child, 0):
            os.kill(child, signal.SIGKILL)
