"""Concurrent chat turns on a CPU-heavy script: a saturated pool answers them at once.

The refusal's wording is checked in test_pool_busy; here the turns take the script block's
`error` exit as soon as the pool is full, on one event loop as a serve worker runs them.
"""

from __future__ import annotations

import asyncio
import time

from blocks.registry import default_registry
from runtime import Runtime
from runtime.workspace import Workspace

HEAVY = "n = 0\nfor i in range(1500000):\n    n += i\nvars['out'] = 'computed'"


SMALL_POOL = "[sandbox]\nworkers = 1\nmax_queued = 2\nqueue_timeout_s = 60\n"


def test_turns_past_the_bound_take_the_error_exit_at_once(make_workspace, flow_doc):
    doc = flow_doc("heavy", {
        "calc": {"type": "script", "config": {"code": HEAVY, "timeout_ms": 10_000},
                 "exits": {"next": "done", "error": "sorry"}},
        "done": {"type": "end", "config": {"text": "out={{ vars.out }}"}},
        "sorry": {"type": "end", "config": {"text": "busy, try again",
                                            "disposition": "busy"}}})
    # the runtime's own pool, sized by the workspace's settings
    runtime = Runtime(Workspace.load(make_workspace(doc, toml=SMALL_POOL), default_registry(),
                                     environ={}))

    async def turns() -> list[tuple[dict, float]]:
        started = time.monotonic()

        async def one() -> tuple[dict, float]:
            reply = await runtime.turn("heavy", None, "go")
            return reply, time.monotonic() - started
        return await asyncio.gather(*(one() for _ in range(8)))
    try:
        outcomes = asyncio.run(turns())
    finally:
        runtime.close()
    texts = [[r.get("text") for r in reply["replies"]] for reply, _ in outcomes]
    served = [t for t, (reply, _) in zip(texts, outcomes) if "out=computed" in t]
    refused = [(reply, seconds) for t, (reply, seconds) in zip(texts, outcomes)
               if "busy, try again" in t]
    assert len(served) == 3 and len(refused) == 5
    assert all(seconds < 0.5 for _, seconds in refused)  # not after the others' scripts
    assert all(reply["ended"] for reply, _ in refused)
