"""Processes that `callwright serve` starts end with it, however it ends.

Linux sends them SIGTERM when serve's process is gone, also when it was killed outright (SIGKILL,
the OOM killer), which leaves it no moment to stop them itself. Without that its HTTP workers
kept serving its port and its task worker kept consuming the queue beside the next serve's.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SERVE_PID = "CALLWRIGHT_SERVE_PID"  # set by serve for the HTTP workers it has granian start
WATCH_S = 0.5  # how often a worker looks whether serve is still its parent
STOP_GRACE_S = 5.0  # a worker asked to stop after serve's end has this long before it is ended


def die_with(parent: int) -> None:
    """Have this process sent SIGTERM when `parent` ends; end at once if it already has.

    Nothing off Linux. Call it in the child, while `parent` is its parent.
    """
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request: no signal will come
        os._exit(1)


def die_with_serve() -> None:
    """In an HTTP worker of serve (its PID in the environment, serve its parent), end with serve.

    A worker that starts after serve has gone (killed while its workers were still importing)
    ends at once. Anywhere else (serve's own process, a process that inherited the variable
    from further down while serve runs) nothing is asked.
    """
    parent = os.environ.get(SERVE_PID, "")
    if not parent.isdigit():
        return
    if os.getppid() == int(parent):
        die_with(int(parent))
        # The signal can come while the worker is still starting, before its server listens
        # for it, and then it is lost: a watcher sees the parent gone, asks again, then ends it.
        threading.Thread(target=_watch, args=(int(parent),), daemon=True,
                         name="serve-watch").start()
    elif not _alive(int(parent)):  # orphaned before it could ask: no signal will ever come
        os._exit(1)


def _watch(parent: int) -> None:
    """Once `parent` is gone, ask this process to stop (SIGTERM), and end it if it does not."""
    while os.getppid() == parent:
        time.sleep(WATCH_S)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_GRACE_S)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Return whether a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: it exists
        return True
    return True
