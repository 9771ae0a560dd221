"""The OpenAPI 3.1 document of the REST API, merged from the JSON parts beside this module.

`base.json` holds the document's head and the shared components; every other part holds the
paths of one resource (and the components only it uses), so each resource's routes and their
description live side by side and change together. Two parts may not define the same path or
component.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from .kinds import add_kinds

BASE = "base.json"


@cache
def document_text() -> str:
    """Return the OpenAPI document as compact JSON text (read once per process)."""
    return json.dumps(document(), separators=(",", ":"), ensure_ascii=False)


@cache
def document() -> dict:
    """Return the merged OpenAPI document (cached; do not mutate)."""
    folder = resources.files(__package__)
    merged = json.loads(folder.joinpath(BASE).read_text("utf-8"))
    merged.setdefault("paths", {})
    parts = sorted(entry.name for entry in folder.iterdir()
                   if entry.name.endswith(".json") and entry.name != BASE)
    for name in parts:
        merge(merged, json.loads(folder.joinpath(name).read_text("utf-8")), name)
    add_kinds(merged)  # bots' and responses sets' drafts and versions, as flows'
    return merged


def merge(document: dict, part: dict, name: str) -> None:
    """Add a part's tags, paths and components to the document; refuse a second definition."""
    document["tags"] = [*document.get("tags", ()), *part.get("tags", ())]
    _add(document["paths"], part.get("paths", {}), f"{name}: path")
    components = document.setdefault("components", {})
    for section, entries in part.get("components", {}).items():
        _add(components.setdefault(section, {}), entries, f"{name}: components/{section}")


def _add(target: dict, entries: dict, where: str) -> None:
    """Copy entries into target, raising ValueError for a key it holds already."""
    for key, value in entries.items():
        if key in target:
            raise ValueError(f"{where} {key!r} is defined twice in the OpenAPI parts")
        target[key] = value
