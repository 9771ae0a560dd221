"""How fast is `validate_flow`? Flows of 100, 1,000 and 10,000 blocks, timed best of 5.

Run from the repository root: `.venv/bin/python benchmarks/validation.py [--sizes 100 1000]`.
The flows chain say -> set -> branch -> menu groups with valid exits (each menu loops back to
its group's say on a wrong choice, a loop that waits), so every layer runs and finds nothing.
Target: 1,000 blocks under 100 ms, time growing linearly with the number of blocks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blocks.registry import Registry, default_registry  # noqa: E402
from runtime.validation import validate_flow  # noqa: E402

KINDS = ("say", "set", "branch", "menu")
TARGET_MS_PER_1000 = 100.0


def make_flow(size: int) -> dict:
    """Return a valid flow of `size` blocks: say/set/branch/menu groups chained by their exits."""
    ids = [f"{KINDS[i % 4]}_{i}" for i in range(size)]
    blocks = {}
    for i, block_id in enumerate(ids):
        after = ids[i + 1] if i + 1 < size else None
        group_start = ids[i - i % 4]
        blocks[block_id] = _block(KINDS[i % 4], i, after, group_start)
    return {"schema": "callwright/flow@1", "id": f"bench_{size}", "name": f"{size} blocks",
            "start": ids[0], "settings": {"language": "en-US", "max_steps": 100000},
            "variables": {"count": 0}, "blocks": blocks,
            "layout": {block_id: {"x": 240 * (i % 4), "y": 120 * (i // 4)}
                       for i, block_id in enumerate(ids)}}


def _block(kind: str, i: int, after: str | None, group_start: str) -> dict:
    """Return block number `i` of a benchmark flow."""
    exits = {} if after is None else {"next": after}
    if kind == "say":
        text = f"Step {i}: hello {{{{ vars.name }}}}." if i % 8 == 0 else f"Step {i}: welcome."
        return {"type": "say", "label": f"Greeting {i}", "config": {"text": text}, "exits": exits}
    if kind == "set":
        return {"type": "set", "config": {"values": {"vars.count": "{{ vars.count + 1 }}",
                                                     "vars.step": i}}, "exits": exits}
    if kind == "branch":
        rules = [{"when": {"var": "vars.count", "op": ">", "value": 100}, "exit": "many"},
                 {"when": {"all": [{"var": "contact.language", "op": "==", "value": "ru"},
                                   {"var": "vars.vip", "op": "not_empty"}]}, "exit": "vip"}]
        routes = {} if after is None else {"many": after, "vip": after, "default": after}
        return {"type": "branch", "config": {"rules": rules}, "exits": routes}
    options = [{"key": "1", "label": "Balance", "exit": "balance"},
               {"key": "0", "label": "Agent", "exit": "agent", "synonyms": ["operator"]}]
    routes = {"failed": group_start}
    if after is not None:
        routes.update(balance=after, agent=after)
    return {"type": "menu", "config": {"prompt": f"Menu {i}: press 1 or 0.", "options": options,
                                       "timeout_s": 5, "max_attempts": 3,
                                       "nomatch_prompt": "That is not one of the choices."},
            "exits": routes}


def best_of(runs: int, action: Callable[[], object]) -> float:
    """Return the best time of `runs` runs of `action` after one warm-up run, in seconds."""
    action()
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    """Time validation at each size and print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    registry: Registry = default_registry()
    rows = []
    for size in args.sizes:
        flow = make_flow(size)
        started = time.perf_counter()
        problems = validate_flow(flow, registry)  # cold: templates compiled for the first time
        first = time.perf_counter() - started
        if problems:
            print(f"benchmark flow of {size} blocks is not valid: {problems[0]}", file=sys.stderr)
            return 1
        best = best_of(args.runs, lambda: validate_flow(flow, registry))
        rows.append({"blocks": size, "first_ms": first * 1000, "ms": best * 1000,
                     "us_per_block": best * 1e6 / size})
    if args.json:
        print(json.dumps({"rows": rows}))
        return 0
    print(f"{'blocks':>8} {'first ms':>10} {'best ms':>10} {'µs/block':>10}")
    for row in rows:
        print(f"{row['blocks']:>8,} {row['first_ms']:>10.1f} {row['ms']:>10.1f} "
              f"{row['us_per_block']:>10.1f}")
    thousand = next((r for r in rows if r["blocks"] == 1000), None)
    if thousand is not None:
        verdict = "meets" if thousand["ms"] < TARGET_MS_PER_1000 else "MISSES"
        print(f"1,000 blocks: {thousand['ms']:.1f} ms, {verdict} the {TARGET_MS_PER_1000:.0f} ms "
              "target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
