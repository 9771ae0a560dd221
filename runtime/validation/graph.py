"""The graph layer: block types, exits, the start, reachability, loops and subflow calls."""

from __future__ import annotations

import difflib
import logging
from collections import deque
from typing import Any, Mapping

from blocks.registry import BlockType, Registry, UnknownBlockType
from blocks.sdk.templates import is_template

from .problem import Problem, error, join, warning

log = logging.getLogger(__name__)
_LONGEST_PATH_SHOWN = 8


def resolve_types(blocks: dict, registry: Registry) -> tuple[dict[str, BlockType | None],
                                                              list[Problem]]:
    """Return each block's resolved type (None when unknown) and an error for each unknown one."""
    types: dict[str, BlockType | None] = {}
    problems: list[Problem] = []
    for block_id, block in blocks.items():
        types[block_id] = None
        ref = block.get("type") if isinstance(block, dict) else None
        if not isinstance(ref, str):
            continue  # the document schema has said so
        try:
            types[block_id] = registry.resolve(ref)
        except UnknownBlockType as exc:
            pointer = join("/blocks", block_id, "type")
            message = _unknown_type_message(ref, str(exc), registry)
            problems.append(error(pointer, message, block_id))
    return types, problems


def _unknown_type_message(ref: str, reason: str, registry: Registry) -> str:
    """Explain an unknown type: a broken package, a near miss, or simply unknown."""
    name = ref.partition("@")[0]
    broken = next((b for b in registry.broken if b.type == name), None)
    if broken is not None:
        return f"{reason}: the block package {broken.source} was refused ({broken.error})"
    known = sorted({t.type for t in registry.types()})
    close = difflib.get_close_matches(name, known, n=1)
    return f"{reason} (did you mean {close[0]!r}?)" if close and "@" not in ref else reason


def exits_and_edges(blocks: dict, types: dict[str, BlockType | None],
                    skip: set[str]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Return the graph (block id -> ids its declared exits go to) and the problems of exits.

    Pointers in `skip` already carry a schema error; nothing more is said about them.
    """
    edges: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for block_id, block in blocks.items():
        targets: list[str] = []
        edges[block_id] = targets
        exits = block.get("exits") if isinstance(block, dict) else None
        if not isinstance(exits, dict):
            continue
        declared = _declared_exits(block_id, block, types.get(block_id), problems)
        for name, target in exits.items():
            known = isinstance(target, str) and target in blocks
            if known and (declared is None or name in declared):
                targets.append(target)
                continue  # the common case: no pointer to build
            pointer = join("/blocks", block_id, "exits", name)
            if pointer in skip or not isinstance(target, str):
                continue
            if declared is not None and name not in declared:
                problems.append(error(pointer, f"{types[block_id].type} has no exit {name!r} "
                                               f"(its exits: {', '.join(declared)})", block_id))
            else:
                problems.append(error(pointer, f"exit {name!r} goes to {target!r}, "
                                               "which is not a block of this flow", block_id))
    return edges, problems


def _declared_exits(block_id: str, block: dict, block_type: BlockType | None,
                    problems: list[Problem]) -> list[str] | None:
    """Return the exits a block's type declares for its config, None when unknown.

    A block whose exits include its bot's intents (a manifest's `intent_exits`) is unknown
    here: the bot checks, which see the workspace's bots, check its exits.
    """
    if block_type is None or block_type.manifest.get("intent_exits"):
        return None
    config = block.get("config", {})
    try:
        return block_type.exits_for(config if isinstance(config, dict) else {})
    except Exception as exc:  # a partner's exits_for() must not break validation of the flow
        log.exception("exits_for() of block type %s failed", block_type.type)
        problems.append(error(join("/blocks", block_id, "config"),
                              f"{block_type.type} could not list its exits: {exc!r}", block_id))
        return None


def start_problems(doc: dict, blocks: dict, skip: set[str]) -> list[Problem]:
    """Return an error when the start names no block."""
    start = doc.get("start")
    if isinstance(start, str) and start not in blocks and "/start" not in skip:
        return [error("/start", f"start block {start!r} is not a block of this flow")]
    return []


def unreachable_problems(start: Any, edges: dict[str, list[str]]) -> list[Problem]:
    """Return a warning for every block no path from the start reaches."""
    if not isinstance(start, str) or start not in edges:
        return []  # without a start every block would be unreachable: say it once, elsewhere
    seen = {start}
    todo = [start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return [warning(join("/blocks", block_id),
                    f"block {block_id!r} cannot be reached from the start block {start!r}")
            for block_id in edges if block_id not in seen]


def loop_problems(edges: dict[str, list[str]], types: dict[str, BlockType | None]) -> list[Problem]:
    """Return a warning for every loop in which no block waits for input."""
    problems = []
    for component in strongly_connected(edges):
        first = min(component)
        if len(component) == 1 and first not in edges[first]:
            continue  # a single block without a self-loop is no loop
        # an unknown type may wait: its own error is enough
        if any(types.get(b) is None or types[b].manifest.get("waits") is True for b in component):
            continue
        path = _describe(_cycle_through(first, edges, component))
        problems.append(warning(join("/blocks", first),
                                f"loop with no waiting block: {path}; "
                                "max_steps will stop it at run time", first))
    return problems


def strongly_connected(edges: dict[str, list[str]]) -> list[set[str]]:
    """Return the strongly connected components of a graph (Tarjan's, iterative, linear)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            while position < len(targets) and targets[position] in index:
                target = targets[position]
                if target in on_stack:
                    low[node] = min(low[node], index[target])
                position += 1
            if position < len(targets):
                work.append((node, position + 1))  # come back to node after visiting the child
                work.append((targets[position], 0))
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_through(first: str, edges: dict[str, list[str]], component: set[str]) -> list[str]:
    """Return a shortest cycle from `first` back to itself inside one component."""
    parents: dict[str, str] = {}
    todo = deque([first])
    while todo:
        node = todo.popleft()
        for target in edges[node]:
            if target == first:
                path = [node]
                while path[-1] != first:
                    path.append(parents[path[-1]])
                return [*reversed(path), first]
            if target in component and target not in parents:
                parents[target] = node
                todo.append(target)
    return [first, first]  # unreachable for a real component; keeps the message sane


def _describe(path: list[str]) -> str:
    """Return `a -> b -> a`, eliding the middle of a long path."""
    if len(path) <= _LONGEST_PATH_SHOWN:
        return " -> ".join(path)
    half = _LONGEST_PATH_SHOWN // 2
    shown = [*path[:half], "...", *path[-half:]]
    return f"{' -> '.join(shown)} ({len(path) - 1} blocks)"


def subflow_calls(doc: Any) -> list[tuple[str, str]]:
    """Return (block id, flow id) for each `subflow` block of a flow naming a fixed flow."""
    blocks = doc.get("blocks") if isinstance(doc, dict) else None
    if not isinstance(blocks, dict):
        return []
    calls = []
    for block_id, block in blocks.items():
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            continue
        if block["type"].partition("@")[0] != "subflow":
            continue
        config = block.get("config")
        target = config.get("flow") if isinstance(config, dict) else None
        if isinstance(target, str) and not is_template(target):
            calls.append((block_id, target))
    return calls


def subflow_problems(doc: dict, flows: Mapping[str, Any]) -> list[Problem]:
    """Return errors for subflows naming no flow of `flows` and for calls that come back here."""
    own_id = doc.get("id")
    problems = []
    for block_id, target in subflow_calls(doc):
        pointer = join("/blocks", block_id, "config", "flow")
        if target not in flows and target != own_id:
            problems.append(error(pointer, f"subflow {target!r} is not a flow of the workspace",
                                  block_id))
            continue
        if isinstance(own_id, str):
            cycle = _call_path(target, own_id, flows)
            if cycle is not None:
                problems.append(error(pointer, "subflow cycle: " + " -> ".join([own_id, *cycle]),
                                      block_id))
    return problems


def _call_path(start: str, goal: str, flows: Mapping[str, Any]) -> list[str] | None:
    """Return the shortest chain of flow ids from `start` calling its way to `goal`, or None.

    The search stops on reaching `goal`, so the stored copy of the flow being validated (which
    may differ from the document) is never read.
    """
    parents: dict[str, str | None] = {start: None}
    todo = deque([start])
    while todo:
        flow_id = todo.popleft()
        if flow_id == goal:
            path = [flow_id]
            while parents[path[-1]] is not None:
                path.append(parents[path[-1]])
            return path[::-1]
        for _, target in subflow_calls(flows.get(flow_id)):
            if target not in parents:
                parents[target] = flow_id
                todo.append(target)
    return None
