"""A flow compiled for running: blocks instantiated, configs pre-compiled, exits resolved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping

from blocks import BlockType, Registry
from blocks.sdk import Block
from blocks.sdk.templates import ConfigTemplate
from runtime.errors import InvalidFlow
from runtime.validation import validate_flow

DEFAULT_SETTINGS = {
    "language": "en-US",
    "max_steps": 500,
    "max_session_s": 3600,
    "block_timeout_s": 30,
    "max_subflow_depth": 10,
}
# capabilities whose blocks may block on the outside world and so get the per-block timeout
_GUARDED = frozenset({"network", "script"})


@dataclass(slots=True)
class Node:
    """One block of a compiled flow."""

    id: str
    block: Block
    block_type: BlockType
    template: ConfigTemplate
    exits: dict[str, str]  # connected exits only
    # None: the block's exits include its bot's intents, which validation checked against the bot
    known_exits: frozenset[str] | None
    guarded: bool


@dataclass(slots=True)
class Flow:
    """A validated flow ready to run; shared by every session on the same version."""

    id: str
    version: str
    doc: dict
    start: str
    settings: dict
    variables: dict
    outputs: tuple[str, ...] | None
    nodes: dict[str, Node]


def flow_version(doc: Mapping[str, Any]) -> str:
    """Return the content hash naming this version of a flow (independent of file formatting)."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def compile_flow(doc: Any, registry: Registry, *, flows: Mapping[str, dict] | None = None,
                 bots: Mapping[str, Any] | None = None,
                 responses: Mapping[str, Any] | None = None) -> Flow:
    """Validate a flow document and compile it; raise InvalidFlow listing every error.

    `flows`, `bots` and `responses` (ids -> documents) let the subflow, bot and response
    references be checked.
    """
    problems = validate_flow(doc, registry, flows=flows, bots=bots, responses=responses)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        flow_id = doc.get("id") if isinstance(doc, dict) else None
        raise InvalidFlow(f"flow {flow_id!r} has {len(errors)} error(s): {errors[0]}", errors)
    nodes = {}
    for block_id, spec in doc["blocks"].items():
        block_type = registry.resolve(spec["type"])
        config = spec.get("config", {})
        nodes[block_id] = Node(
            id=block_id,
            block=block_type.cls(block_id, config),
            block_type=block_type,
            template=ConfigTemplate(config, block_type.raw_fields),
            exits=dict(spec.get("exits", {})),
            known_exits=None if block_type.manifest.get("intent_exits")
            else frozenset(block_type.exits_for(config)),
            guarded=bool(_GUARDED.intersection(block_type.manifest.get("capabilities", ()))),
        )
    outputs = doc.get("outputs")
    return Flow(id=doc["id"], version=flow_version(doc), doc=doc, start=doc["start"],
                settings={**DEFAULT_SETTINGS, **doc.get("settings", {})},
                variables=doc.get("variables", {}),
                outputs=tuple(outputs) if outputs is not None else None, nodes=nodes)
