"""The OpenAPI 3.1 document of the REST API, shipped beside this module as openapi.json."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def document_text() -> str:
    """Return the OpenAPI document as compact JSON text (read once per process)."""
    return json.dumps(document(), separators=(",", ":"), ensure_ascii=False)


@cache
def document() -> dict:
    """Return the parsed OpenAPI document (cached; do not mutate)."""
    return json.loads(resources.files(__package__).joinpath("openapi.json").read_text("utf-8"))
