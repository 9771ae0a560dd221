"""Who names a flow: the routes and the other flows' subflow blocks, as published on disk."""

from __future__ import annotations

from pathlib import Path

from runtime.validation import read_json
from runtime.validation import subflow_calls
from runtime.validation.problem import join

ROUTES_FILE = "routes.json"


def references_to(flow_id: str, root: Path) -> list[dict]:
    """Return `{file, pointer, message}` for each route and other flow's subflow naming a flow."""
    found = _routes_naming(flow_id, root)
    for path in sorted((root / "flows").glob("*.json")):
        if path.stem == flow_id:
            continue  # a flow calling itself goes where it goes
        _, doc, problems = read_json(path)
        if problems:
            continue
        found += [{"file": f"flows/{path.name}",
                   "pointer": join("/blocks", block_id, "config", "flow"),
                   "message": f"block {block_id!r} of flow {path.stem!r} calls it as a subflow"}
                  for block_id, target in subflow_calls(doc) if target == flow_id]
    return found


def _routes_naming(flow_id: str, root: Path) -> list[dict]:
    """Return the routes of routes.json that go to a flow."""
    path = root / ROUTES_FILE
    if not path.is_file():
        return []
    _, routes, problems = read_json(path)
    if problems or not isinstance(routes, dict):
        return []
    return [{"file": ROUTES_FILE, "pointer": join("", channel, address),
             "message": f"the {channel} route {address!r} goes to it"}
            for channel, table in routes.items() if isinstance(table, dict)
            for address, target in table.items() if target == flow_id]
