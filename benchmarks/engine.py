"""Engine steps per second on one core: a loop of `set`/`branch` blocks with no I/O.

    python benchmarks/engine.py [--steps 1000000] [--repeat 5]

The flow counts `vars.i` up in a `set` block and loops back through a `branch` until the
counter reaches the target; every step is timed and logged by the engine as usual (the step
log is kept in memory here; the benchmark measures the interpreter, not a database).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from blocks import default_registry
from runtime import Engine, Turn, Workspace, compile_flow, run_sync
from runtime.channels import channel_named
from runtime.engine import ScriptedInputs, SessionHost
from runtime.sessions import MemorySessionStore


def loop_flow(target: int) -> dict:
    """Return a flow that loops set -> branch `target` times, then ends."""
    return {
        "schema": "callwright/flow@1", "id": "bench", "start": "inc",
        "settings": {"max_steps": target * 2 + 10},
        "variables": {"i": 0, "tier": "gold"},
        "blocks": {
            "inc": {"type": "set", "config": {"values": {"vars.i": "{{ vars.i + 1 }}",
                                                        "vars.seen": True}},
                    "exits": {"next": "check"}},
            "check": {"type": "branch", "config": {"rules": [
                {"when": {"var": "vars.i", "op": ">=", "value": target}, "exit": "done"},
                {"when": {"all": [{"var": "vars.tier", "op": "==", "value": "platinum"},
                                  {"var": "vars.i", "op": "<", "value": 0}]}, "exit": "done"}]},
                "exits": {"done": "end", "default": "inc"}},
            "end": {"type": "end", "config": {}},
        },
    }


def measure(steps: int) -> tuple[float, int]:
    """Run one session of the loop flow; return (seconds, steps taken)."""
    registry = default_registry()
    workspace = Workspace(root=None, registry=registry)
    flow = compile_flow(loop_flow(steps // 2), registry)
    workspace.flows[flow.id] = flow
    engine = Engine(workspace, MemorySessionStore())
    channel = channel_named("chat")
    host = SessionHost(channel, ScriptedInputs([], channel), lambda event: None)
    session = engine.new_session(flow, "chat", trigger={"channel": "chat"})
    started = time.perf_counter()
    run_sync(engine.run(session, host, Turn(session)))
    return time.perf_counter() - started, session.steps


def main() -> None:
    """Print steps per second (best and median of the repeats) as a table and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as claimed
    measure(20_000)  # warm caches (templates, regexes)
    rates = []
    for _ in range(args.repeat):
        seconds, taken = measure(args.steps)
        rates.append(taken / seconds)
        print(f"{taken:>10,} steps in {seconds:6.3f} s = {taken / seconds:>10,.0f} steps/s")
    print(json.dumps({"benchmark": "engine_steps", "steps": args.steps,
                      "best_steps_per_s": round(max(rates)),
                      "median_steps_per_s": round(statistics.median(rates))}))


if __name__ == "__main__":
    main()
