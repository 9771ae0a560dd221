"""blocks.sdk.testing.run_block takes the exit the engine takes, refusals included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blocks.builtin.menu import MenuBlock
from blocks.registry import BUILTIN_MODULES, Registry
from blocks.sdk import Block
from blocks.sdk.testing import run_block
from runtime.commands import simulate

UNDECLARED = "block returned exit 'maybe', which it does not declare"


class WaverBlock(Block):
    """A partner block that takes an exit its manifest does not declare."""

    manifest = {"type": "acme.waver", "version": "1.0.0", "title": "Waver", "category": "Partner",
                "config_schema": {"$schema": "http://json-schema.org/draft-07/schema#",
                                  "type": "object", "properties": {}},
                "exits": ["yes", "no"]}

    async def run(self, ctx):
        """Take an exit that is not `yes` or `no`."""
        return "maybe"


class SilentBlock(WaverBlock):
    """A partner block that forgets to return an exit."""

    manifest = {**WaverBlock.manifest, "type": "acme.silent"}

    async def run(self, ctx):
        """Return nothing."""
        return None


def test_an_undeclared_exit_takes_error_in_the_harness():
    result = run_block(WaverBlock, {})
    assert (result.exit, result.error) == ("error", UNDECLARED)


def test_no_exit_at_all_takes_error_in_the_harness():
    result = run_block(SilentBlock, {})
    assert (result.exit, result.error) == (
        "error", "block returned exit None, which it does not declare")


def test_exits_derived_from_the_config_are_declared():
    config = {"prompt": "1?", "options": [{"key": "1", "exit": "picked"}]}
    assert run_block(MenuBlock, config, inputs=["1"]).exit == "picked"


@pytest.mark.parametrize("block", [WaverBlock, SilentBlock], ids=["undeclared", "none"])
def test_the_engine_refuses_the_exit_the_harness_refuses(tmp_path: Path, block: type) -> None:
    registry = Registry()
    registry.load_modules(BUILTIN_MODULES)
    assert registry.register(block, source="acme-blocks") is not None, registry.broken
    flow = {"schema": "callwright/flow@1", "id": "odd", "start": "odd",
            "blocks": {"odd": {"type": block.manifest["type"], "config": {},
                               "exits": {"error": "sorry"}},
                       "sorry": {"type": "end", "config": {"disposition": "handled"}}}}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(flow), "utf-8")
    events: list[dict] = []
    ended = simulate(path, channel="chat", emit=events.append, registry=registry)
    harness = run_block(block, {})
    assert ended.disposition == "handled"  # the engine took the block's error exit
    assert [e["message"] for e in events if e["event"] == "error"] == [harness.error]
