"""What changed between two documents: a flow block by block, as the editor colours it; a bot
or a responses set item by item (its intents, entities, responses), as its versions panel
lists it."""

from __future__ import annotations

from typing import Any, Callable

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


def diff_sections(sections: tuple[str, ...]) -> Callable[[Any, Any], dict]:
    """Return the diff of a kind whose documents keep named items in `sections` (`intents`).

    An item is named `section/name` (`intents/greeting`): `added`, `removed`, or `changed`
    with the item's own keys that differ; `fields` are the other top-level keys that differ
    (`languages`, `name`...).
    """
    def diff(old: Any, new: Any) -> dict:
        added, removed, changed = [], [], []
        for section in sections:
            before, after = _section(old, section), _section(new, section)
            added += [f"{section}/{name}" for name in sorted(after.keys() - before.keys())]
            removed += [f"{section}/{name}" for name in sorted(before.keys() - after.keys())]
            for name in sorted(before.keys() & after.keys()):
                fields = _item_fields(before[name], after[name])
                if fields:
                    changed.append({"id": f"{section}/{name}", "fields": fields})
        old_doc, new_doc = _mapping(old), _mapping(new)
        fields = sorted(key for key in old_doc.keys() | new_doc.keys()
                        if key not in sections and old_doc.get(key) != new_doc.get(key))
        return {"added": added, "removed": removed, "changed": changed, "fields": fields}
    return diff


def _item_fields(old: Any, new: Any) -> list[str]:
    """Return the keys in which two versions of an item differ (["*"] when one is no object)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else ["*"]
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


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
