"""The stable file form of documents: one byte sequence per content, so git diffs show only changes.

UTF-8, two-space indent, a trailing newline, keys in a fixed order: a flow's (and a bot's)
top-level keys in the order people read them, blocks by id, block keys as `type, label, notes, config, exits`,
config keys in the order of the block type's config schema, everything else sorted by key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from blocks.registry import Registry, UnknownBlockType

FLOW_KIND = "callwright/flow@1"
FLOW_KEYS = ("schema", "id", "name", "description", "start", "settings", "variables", "inputs",
             "outputs", "blocks", "layout")
HEAD_KEYS = ("schema", "id", "name", "description")
BOT_KIND = "callwright/bot@1"
BOT_KEYS = (*HEAD_KEYS, "languages", "min_confidence", "intents", "entities")
BLOCK_KEYS = ("type", "label", "notes", "config", "exits")
NEW_FILE_MODE = 0o644


def dumps(doc: Any, registry: Registry | None = None) -> str:
    """Return a document in stable form; `registry` orders each block's config like its schema."""
    return json.dumps(_document(doc, registry), ensure_ascii=False, indent=2,
                      allow_nan=False) + "\n"


def write_atomic(path: str | Path, content: str | bytes) -> None:
    """Replace a file's content at once: readers see the old bytes or the new, never a mix.

    Text is written as UTF-8. The file keeps its permissions; a new one gets NEW_FILE_MODE.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = NEW_FILE_MODE  # mkstemp's 0600 would hide a new flow from the server's user
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _document(doc: Any, registry: Registry | None) -> Any:
    """Return a document with its keys in stable order (a new structure; `doc` is untouched)."""
    if not isinstance(doc, dict):
        return _sorted(doc)
    is_flow = doc.get("schema") == FLOW_KIND or isinstance(doc.get("blocks"), dict)
    is_bot = doc.get("schema") == BOT_KIND
    out = _ordered(doc, FLOW_KEYS if is_flow else BOT_KEYS if is_bot else HEAD_KEYS)
    if is_flow and isinstance(doc.get("blocks"), dict):
        out["blocks"] = {block_id: _block(doc["blocks"][block_id], registry)
                         for block_id in sorted(doc["blocks"])}
    return out


def _block(block: Any, registry: Registry | None) -> Any:
    """Return one block with its keys, and its config's keys, in stable order."""
    if not isinstance(block, dict):
        return _sorted(block)
    out = _ordered(block, BLOCK_KEYS)
    config = block.get("config")
    if isinstance(config, dict):
        out["config"] = _ordered(config, _config_keys(block.get("type"), registry))
    return out


def _config_keys(ref: Any, registry: Registry | None) -> tuple[str, ...]:
    """Return the config field order of a block type's schema, empty when the type is unknown."""
    if registry is None or not isinstance(ref, str):
        return ()
    try:
        schema = registry.resolve(ref).manifest["config_schema"]
    except UnknownBlockType:
        return ()
    return tuple(schema.get("properties", {}))


def _ordered(mapping: dict, first: Iterable[str]) -> dict:
    """Return a mapping with the `first` keys in that order, then the others sorted."""
    leading = [key for key in first if key in mapping]
    chosen = set(leading)
    rest = sorted((key for key in mapping if key not in chosen), key=str)
    return {key: _sorted(mapping[key]) for key in [*leading, *rest]}


def _sorted(value: Any) -> Any:
    """Return a value with every object's keys sorted, at every depth."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
