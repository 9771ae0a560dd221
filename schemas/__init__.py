"""The JSON Schemas of Callwright's documents, shipped as package data."""

import json
from functools import cache
from importlib import resources

SCHEMA_NAMES = ("flow", "block", "workspace", "bot", "responses")


@cache
def load(name: str) -> dict:
    """Return the parsed schema `<name>.schema.json` (cached; do not mutate)."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


__all__ = ["load", "SCHEMA_NAMES"]
