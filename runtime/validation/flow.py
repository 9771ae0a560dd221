"""Validate one flow document: every problem of every layer, sorted."""

from __future__ import annotations

from typing import Any, Mapping

import schemas
from blocks.registry import Registry
from blocks.sdk.templates import shared_checks

from .bots import bot_problems
from .graph import (exits_and_edges, loop_problems, resolve_types, start_problems, subflow_problems,
                    unreachable_problems)
from .problem import Problem, error, ordered
from .responses import flow_response_problems
from .schema import SchemaCheck, config_problems, document_problems

# the flow schema's bound, so that the server, `callwright validate` and the editor agree
MAX_BLOCKS: int = schemas.load("flow")["properties"]["blocks"]["maxProperties"]


def validate_flow(doc: Any, registry: Registry, *, flows: Mapping[str, Any] | None = None,
                  bots: Mapping[str, Any] | None = None,
                  responses: Mapping[str, Any] | None = None) -> list[Problem]:
    """Return every problem of a flow document, sorted by pointer then message.

    Layers: the document schema; each block's config (its type's schema, `check()`, template
    syntax); the graph (types, exits, start, subflows; warnings for unreachable blocks and loops
    that never wait). `flows` (flow id -> document, None for a file that did not parse) enables
    the subflow checks; without it subflow references are not checked. `bots` (bot id ->
    document, None for a broken file) likewise enables the checks of `bot` blocks: the bot
    they name and their exits against its intents; `responses` (set id -> document) the
    responses blocks name. Never raises on bad input.
    A flow of more than MAX_BLOCKS blocks gets that one error and no further look.
    """
    too_big = too_many_blocks(doc)
    if too_big is not None:
        return [too_big]
    problems = document_problems(doc)
    blocks = doc.get("blocks") if isinstance(doc, dict) else None
    if not isinstance(blocks, dict):
        return ordered(problems)  # no blocks to look at: the schema said what is wrong
    # a pointer the schema already complains about gets no second, vaguer complaint
    skip = {p.pointer for p in problems}
    types, found = resolve_types(blocks, registry)
    problems.extend(p for p in found if p.pointer not in skip)
    checks: dict[int, SchemaCheck] = {}
    # the templates' trial renders share one allowance per flow: a flow full of heavy templates
    # is still checked quickly (their limits hold anyway when they run)
    with shared_checks():
        for block_id, block_type in types.items():
            if block_type is not None:
                check = checks.get(id(block_type))
                if check is None:
                    check = checks[id(block_type)] = SchemaCheck(block_type.validator)
                problems.extend(config_problems(block_id, blocks[block_id], block_type, check))
    edges, found = exits_and_edges(blocks, types, skip)
    problems.extend(found)
    problems.extend(start_problems(doc, blocks, skip))
    problems.extend(unreachable_problems(doc.get("start"), edges))
    problems.extend(loop_problems(edges, types))
    if flows is not None:
        problems.extend(subflow_problems(doc, flows))
    if bots is not None:
        problems.extend(bot_problems(blocks, types, bots))
    if responses is not None:
        problems.extend(flow_response_problems(blocks, types, responses))
    return ordered(problems)


def too_many_blocks(doc: Any) -> Problem | None:
    """Return the error of a flow with more than MAX_BLOCKS blocks, else None."""
    blocks = doc.get("blocks") if isinstance(doc, dict) else None
    if not isinstance(blocks, dict) or len(blocks) <= MAX_BLOCKS:
        return None
    return error("/blocks", f"the flow has {len(blocks):,} blocks, more than the {MAX_BLOCKS:,} a "
                            "flow may have: split it into subflows")
