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

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SERVE_PID = "CALLWRIGHT_SERVE_PID"  # set by serve for the HTTP workers it has granian start


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
    elif not _alive(int(parent)):  # orphaned before it could ask: no signal will ever come
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
