"""Validate files and workspaces: flows/*.json, routes.json, bots/ and responses/ on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Container, Mapping

from blocks.registry import Registry, default_registry

from .bots import BOT_KIND, validate_bot
from .flow import validate_flow
from .problem import ERROR, Problem, error, join
from .responses import RESPONSES_KIND, bot_response_problems, validate_responses
from .schema import routes_check
from .source import locate, read_json

FLOW_KIND = "callwright/flow@1"
ROUTES_KIND = "callwright/routes@1"
ROUTES_FILE = "routes.json"
BOTS_FOLDER = "bots"
RESPONSES_FOLDER = "responses"


def validate_routes(doc: Any, flow_ids: Container[str] | None = None) -> list[Problem]:
    """Return the problems of a routes document; with `flow_ids`, routes to unknown flows too."""
    problems = routes_check().problems(doc)
    if flow_ids is None or not isinstance(doc, dict):
        return _sorted(problems)
    skip = {p.pointer for p in problems}
    for channel, table in doc.items():
        if channel == "schema" or not isinstance(table, dict):
            continue
        for address, flow_id in table.items():
            pointer = join("", channel, address)
            if isinstance(flow_id, str) and flow_id not in flow_ids and pointer not in skip:
                problems.append(error(pointer, f"{channel} route {address!r} goes to flow "
                                               f"{flow_id!r}, which is not a flow of the "
                                               "workspace"))
    return _sorted(problems)


def validate_file(path: str | Path, registry: Registry | None = None) -> list[Problem]:
    """Return every problem of one file: a flow, routes.json, a bot or a responses set.

    A flow inside a `flows/` folder is checked against its siblings (subflows, its id against its
    file name), and a routes file beside a `flows/` folder against the flows in it.
    """
    path = Path(path)
    text, doc, problems = read_json(path)
    if text is None or problems:
        return problems
    kind = doc.get("schema") if isinstance(doc, dict) else None
    root = path.parent.parent
    if kind == FLOW_KIND:
        in_workspace = path.parent.name == "flows"
        flows = _sibling_flows(path, doc) if in_workspace else None
        sets = read_responses(root / RESPONSES_FOLDER)[0] if in_workspace else None
        bots = read_bots(root / BOTS_FOLDER, sets)[0] if in_workspace else None
        problems = validate_flow(doc, registry or default_registry(), flows=flows, bots=bots,
                                 responses=sets)
        if flows is not None:
            problems = _sorted([*problems, *flow_id_problems(doc, path)])
    elif kind == BOT_KIND:
        problems = validate_bot(doc)
        if path.parent.name == BOTS_FOLDER:
            sets = read_responses(root / RESPONSES_FOLDER)[0]
            sound = not any(p.is_error for p in problems)  # warnings do not hide references
            problems = _sorted([*problems, *flow_id_problems(doc, path, "bot"),
                                *(bot_response_problems(doc, sets) if sound else [])])
    elif kind == RESPONSES_KIND:
        problems = validate_responses(doc)
        if path.parent.name == RESPONSES_FOLDER:
            problems = _sorted([*problems, *flow_id_problems(doc, path, "responses set")])
    elif kind == ROUTES_KIND:
        flows_dir = path.parent / "flows"
        problems = validate_routes(doc, _flow_stems(flows_dir) if flows_dir.is_dir() else None)
    else:
        known = ", ".join([FLOW_KIND, ROUTES_KIND, BOT_KIND, RESPONSES_KIND])
        problems = [error("/schema" if isinstance(doc, dict) and "schema" in doc else "",
                          f"not a Callwright document: \"schema\" is {kind!r}, expected one of "
                          f"{known}")]
    return locate(problems, text, str(path))


def validate_workspace(root: str | Path, registry: Registry | None = None) -> list[Problem]:
    """Return every problem of a workspace: each flow (subflows resolved), routes, data files."""
    root = Path(root)
    flows_dir = root / "flows"
    if not flows_dir.is_dir():
        return [Problem(ERROR, "", "not a Callwright workspace: it has no flows/ folder",
                        file=str(root))]
    registry = registry or default_registry()
    problems: list[Problem] = []
    parsed: dict[Path, tuple[str, Any]] = {}
    for path in sorted(flows_dir.glob("*.json")):
        text, doc, found = read_json(path)
        problems.extend(found)
        if text is not None and not found:
            parsed[path] = (text, doc)
    # a flow file that does not parse still exists: references to it are not "unknown"
    flows = {path.stem: None for path in flows_dir.glob("*.json")}
    flows.update({path.stem: doc for path, (_, doc) in parsed.items()})
    sets, found = read_responses(root / RESPONSES_FOLDER)
    problems.extend(found)
    bots, found = read_bots(root / BOTS_FOLDER, sets)
    problems.extend(found)
    for path, (text, doc) in parsed.items():
        found = [*validate_flow(doc, registry, flows=flows, bots=bots, responses=sets),
                 *flow_id_problems(doc, path)]
        problems.extend(locate(found, text, str(path)))
    routes = root / ROUTES_FILE
    if routes.is_file():
        text, doc, found = read_json(routes)
        problems.extend(found)
        if text is not None and not found:
            problems.extend(locate(validate_routes(doc, flows), text, str(routes)))
    return sorted(problems, key=lambda p: (p.file or "", p.pointer, p.message))


def read_bots(folder: Path, responses: Mapping[str, Any] | None = None
              ) -> tuple[dict[str, Any], list[Problem]]:
    """Return the bots of a bots folder by id (None for a broken file) and every problem of them.

    A bot is known by its file name, so a flow naming a broken bot gets no second error. With
    `responses` (the workspace's sets), the responses its intents name are checked too.
    """
    bots: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.json")):
        text, doc, found = read_json(path)
        if text is not None and not found:
            found = [*validate_bot(doc), *flow_id_problems(doc, path, "bot")]
        # a bot naming a missing response still has its intents: flows are checked against them
        broken = any(p.is_error for p in found)
        if responses is not None and text is not None and not broken:  # warnings or none
            found = [*found, *bot_response_problems(doc, responses)]
        problems.extend(locate(found, text, str(path)) if text is not None else found)
        bots[path.stem] = None if broken else doc
    return bots, problems


def read_responses(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Return the responses sets of a folder by id (None for a broken file) and their problems."""
    sets: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.json")):
        text, doc, found = read_json(path)
        if text is not None and not found:
            found = [*validate_responses(doc), *flow_id_problems(doc, path, "responses set")]
            found = locate(found, text, str(path))
        problems.extend(found)
        sets[path.stem] = None if any(p.is_error for p in found) else doc
    return sets, problems


def flow_id_problems(doc: Any, path: Path, kind: str = "flow") -> list[Problem]:
    """Return an error when a flow's (or a bot's) id differs from its file name."""
    flow_id = doc.get("id") if isinstance(doc, dict) else None
    if isinstance(flow_id, str) and flow_id != path.stem:
        return [error("/id", f"{kind} id {flow_id!r} does not match its file name {path.name!r}")]
    return []


def _flow_stems(flows_dir: Path) -> set[str]:
    """Return the flow ids a flows folder holds (its file names)."""
    return {path.stem for path in flows_dir.glob("*.json")}


def _sibling_flows(path: Path, doc: Any) -> Mapping[str, Any]:
    """Return the flows beside a flow file by id, None for those that do not parse."""
    flows: dict[str, Any] = {}
    for sibling in path.parent.glob("*.json"):
        if sibling.name != path.name:
            _, other, found = read_json(sibling)
            flows[sibling.stem] = None if found else other
    flows[path.stem] = doc
    return flows


def _sorted(problems: list[Problem]) -> list[Problem]:
    """Return problems sorted by pointer then message."""
    return sorted(problems, key=lambda p: (p.pointer, p.message))
