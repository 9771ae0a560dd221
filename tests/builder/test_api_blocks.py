"""GET /api/v1/blocks: the catalogue of block types, and the blocks the registry refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocks.registry import BUILTIN_MODULES, Registry, default_registry
from blocks.sdk import Block
from builder.app import create_app


class ShoutBlock(Block):
    """A partner block with a valid manifest, version 2."""

    manifest = {"type": "acme.shout", "version": "2.1.0", "title": "Shout", "category": "Partner",
                "icon": "megaphone", "description": "Say it louder.",
                "config_schema": {"$schema": "http://json-schema.org/draft-07/schema#",
                                  "type": "object", "additionalProperties": False,
                                  "properties": {"text": {"type": "string", "title": "Text"}}},
                "exits": ["next"]}

    async def run(self, ctx):
        """Say the text in capitals."""
        ctx.say(ctx.config["text"].upper())
        return "next"


class BrokenSchemaBlock(ShoutBlock):
    """A partner block whose config schema is not a schema."""

    manifest = {**ShoutBlock.manifest, "type": "acme.broken",
                "config_schema": {"$schema": "http://json-schema.org/draft-07/schema#",
                                  "type": "object",
                                  "properties": {"text": {"type": "no-such-type"}}}}


@pytest.fixture
def client(tmp_path: Path):
    """Yield a client whose registry has the built-ins, one partner block and one broken block."""
    registry = Registry()
    registry.load_modules(BUILTIN_MODULES)
    registry.register(ShoutBlock, source="acme-blocks:shout")
    registry.register(BrokenSchemaBlock, source="acme-blocks:broken")
    app = create_app(tmp_path, {"TESTING": True, "REGISTRY": registry})
    yield app.test_client()
    app.extensions["callwright.runtime"].close()


def catalogue(client) -> list[dict]:
    """Return the listed blocks, checking that the built-ins and the partner block are there."""
    response = client.get("/api/v1/blocks")
    assert response.status_code == 200
    blocks = response.get_json()["blocks"]
    assert {"say", "ask", "menu", "branch", "end", "acme.shout"} <= {b["type"] for b in blocks}
    return blocks


def test_every_registered_block_is_listed_with_its_manifest_and_source(client) -> None:
    blocks = {(b["type"], b["version"]): b for b in catalogue(client)}
    assert blocks[("acme.shout", "2.1.0")] == {**ShoutBlock.manifest, "source": "acme-blocks:shout"}
    builtin = {t for (t, _), b in blocks.items() if b["source"] == "builtin"}
    assert {"say", "menu", "branch", "end"} <= builtin


def test_manifests_carry_what_the_editor_draws_forms_and_handles_from(client) -> None:
    for block in catalogue(client):
        assert block["config_schema"]["type"] == "object", block["type"]
        assert isinstance(block["title"], str) and isinstance(block["category"], str)
        assert "exits" in block or "exits_from" in block, block["type"]


def test_blocks_are_sorted_by_type(client) -> None:
    types = [b["type"] for b in catalogue(client)]
    assert types == sorted(types)


def test_a_refused_block_is_reported_with_where_and_why(client) -> None:
    broken = client.get("/api/v1/blocks").get_json()["broken"]
    assert len(broken) == 1
    assert broken[0]["source"] == "acme-blocks:broken"
    assert broken[0]["type"] == "acme.broken"
    assert broken[0]["path"].startswith("$.config_schema")
    assert "no-such-type" in broken[0]["error"]
    assert "acme.broken" not in {b["type"] for b in catalogue(client)}


def test_without_a_registry_the_app_serves_the_process_wide_one(tmp_path: Path) -> None:
    app = create_app(tmp_path, {"TESTING": True})
    try:
        body = app.test_client().get("/api/v1/blocks").get_json()
    finally:
        app.extensions["callwright.runtime"].close()
    registry = default_registry()
    assert [(b["type"], b["version"], b["source"]) for b in body["blocks"]] == [
        (t.type, t.manifest["version"], t.source) for t in registry.types()]
    assert body["broken"] == [b.as_dict() for b in registry.broken]
    assert {"say", "ask", "menu", "set", "branch", "end"} <= {b["type"] for b in body["blocks"]}
