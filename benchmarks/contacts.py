"""What keeping contacts costs a chat turn: turns per second with the contact hook on and off.

    python -m benchmarks.contacts [--sessions 300] [--repeat 3]   (from the repository root)

Each session is the example support bot's "hello there" then "nope" (two turns, a new visitor
each time, so each session finds no contact and makes one) on the example workspace with
SQLite session store and records database in a temporary folder, in one process. The same
runtime runs it with `engine.contacts` set (the default) and unset; the difference is the
contact store's work per turn (one lookup and one write).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from runtime import Runtime

WORKSPACE = Path(__file__).resolve().parent.parent / "examples" / "workspace"


def run(runtime: Runtime, sessions: int, tag: str) -> float:
    """Run `sessions` two-turn chats; return turns per second."""
    started = time.perf_counter()
    for index in range(sessions):
        first = runtime.chat_turn("support-bot", None, "hello there", sender=f"{tag}-{index}")
        runtime.chat_turn("support-bot", first["session"], "nope")
    return 2 * sessions / (time.perf_counter() - started)


def main() -> None:
    """Print turns per second with and without contacts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="callwright-contacts-bench-"))
    try:
        root = folder / "ws"
        shutil.copytree(WORKSPACE, root, ignore=shutil.ignore_patterns(".callwright"))
        runtime = Runtime.open(root)
        hook = runtime.engine.contacts
        try:
            run(runtime, 20, "warm")
            figures: dict[str, list[float]] = {"with contacts": [], "without contacts": []}
            for round_ in range(args.repeat):
                runtime.engine.contacts = hook
                figures["with contacts"].append(run(runtime, args.sessions, f"on{round_}"))
                runtime.engine.contacts = None
                figures["without contacts"].append(run(runtime, args.sessions, f"off{round_}"))
        finally:
            runtime.engine.contacts = hook
            runtime.close()
        for name, values in figures.items():
            print(f"{name:>17}: {statistics.median(values):8.1f} chat turns/s "
                  f"(median of {args.repeat}, {args.sessions} sessions of 2 turns each)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
