"""What changed between two flow documents, block by block, as the editor colours it."""

from __future__ import annotations

from typing import Any

# a block's fields in the order the editor lists them, with the value an absent one means
BLOCK_FIELDS: dict[str, Any] = {"type": None, "label": None, "notes": None, "config": {},
                                "exits": {}}
# flow-level keys that are not fields of the flow itself: compared block by block instead
PER_BLOCK = ("blocks", "layout")


def diff_flows(old: Any, new: Any) -> dict:
    """Return the blocks added, removed, changed (with their fields) and moved, and flow fields.

    A block is `changed` when any of its own fields differ (`type`, `label`, `notes`,
    `config`, `exits`) and `moved` when only its place in the layout does. `flow_fields` are
    the other top-level keys whose values differ (`start`, `settings`, `name`...).
    """
    before, after = _blocks(old), _blocks(new)
    old_layout, new_layout = _section(old, "layout"), _section(new, "layout")
    changed, moved = [], []
    for block_id in sorted(before.keys() & after.keys()):
        fields = _changed_fields(before[block_id], after[block_id])
        if fields:
            changed.append({"id": block_id, "fields": fields})
        elif old_layout.get(block_id) != new_layout.get(block_id):
            moved.append(block_id)
    return {"added": sorted(after.keys() - before.keys()),
            "removed": sorted(before.keys() - after.keys()),
            "changed": changed, "moved": moved, "flow_fields": _flow_fields(old, new)}


def _changed_fields(old: Any, new: Any) -> list[str]:
    """Return the fields in which two versions of a block differ."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else list(BLOCK_FIELDS)  # not a block at all: all of it
    return [name for name, absent in BLOCK_FIELDS.items()
            if old.get(name, absent) != new.get(name, absent)] + \
        sorted(key for key in old.keys() | new.keys()
               if key not in BLOCK_FIELDS and old.get(key) != new.get(key))


def _flow_fields(old: Any, new: Any) -> list[str]:
    """Return the top-level keys, besides blocks and layout, whose values differ."""
    old, new = _mapping(old), _mapping(new)
    return sorted(key for key in old.keys() | new.keys()
                  if key not in PER_BLOCK and old.get(key) != new.get(key))


def _blocks(doc: Any) -> dict:
    return _section(doc, "blocks")


def _section(doc: Any, key: str) -> dict:
    """Return an object member of a document, or {} when it is missing or not an object."""
    value = _mapping(doc).get(key)
    return value if isinstance(value, dict) else {}


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
