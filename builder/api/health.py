"""Service endpoints: liveness and the OpenAPI description of the API."""

from __future__ import annotations

from flask import Blueprint, Response

from .. import openapi
from . import json_response

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    """Answer that the server is up."""
    return json_response({"status": "ok"})


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Return the OpenAPI 3.1 document describing this API."""
    return Response(openapi.document_text(), mimetype="application/json")
