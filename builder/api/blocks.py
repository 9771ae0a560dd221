"""The block catalogue the editor's palette and forms are drawn from."""

from __future__ import annotations

from flask import Blueprint, Response

from . import current_runtime, json_response

bp = Blueprint("blocks", __name__)


@bp.get("/blocks")
def list_blocks() -> Response:
    """List every registered block type and version, and every block the registry refused."""
    registry = current_runtime().registry
    blocks = [{**block_type.manifest, "source": block_type.source}
              for block_type in registry.types()]
    return json_response({"blocks": blocks,
                          "broken": [broken.as_dict() for broken in registry.broken]})
