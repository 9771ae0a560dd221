"""Versions: publish a flow's working copy, list and read versions, compare them, roll back."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..auth import audit, requires
from ..errors import BadRequest
from ..flowstore import Published
from ..flowstore.times import iso
from ..flowstore.versions import MAX_NUMBER
from . import current_store, json_response
from .edits import author, fields_body, if_match

bp = Blueprint("versions", __name__)
DRAFT = "draft"


@bp.post("/flows/<flow_id>/publish")
@requires("editor")
def publish(flow_id: str) -> Response:
    """Publish the working copy named by `If-Match` as the flow's next version, live at once."""
    note = fields_body({"note": False}).get("note")
    published = current_store().publish(flow_id, author(), note=note, if_match=if_match())
    audit("flow_published", "flow", flow_id, _detail(published, note=note))
    return _answer(published)


@bp.post("/flows/<flow_id>/rollback")
@requires("editor")
def rollback(flow_id: str) -> Response:
    """Publish an earlier version again, as the next version."""
    body = fields_body({"note": False}, {"version": True})
    published = current_store().rollback(flow_id, body["version"], author(),
                                         note=body.get("note"))
    audit("flow_rolled_back", "flow", flow_id, _detail(published, to=body["version"]))
    return _answer(published)


@bp.get("/flows/<flow_id>/versions")
@requires("viewer")
def list_versions(flow_id: str) -> Response:
    """List a flow's versions, newest first."""
    history = current_store().history(flow_id)
    return json_response({"versions": [version.as_dict() for version in history]})


@bp.get("/flows/<flow_id>/versions/<int:number>")
@requires("viewer")
def get_version(flow_id: str, number: int) -> Response:
    """Return one version's document as it was published (its ETag is its content hash)."""
    version = current_store().version(flow_id, number)
    response = Response(version.text, mimetype="application/json")
    response.set_etag(version.content_hash)
    return response.make_conditional(request)


@bp.get("/flows/<flow_id>/diff")
@requires("viewer")
def diff(flow_id: str) -> Response:
    """Compare two versions (`from`, `to`), or a version and the working copy (`to=draft`)."""
    old, new = _side("from"), _side("to")
    return json_response(current_store().diff(flow_id, old, new))


def _side(name: str) -> int | str:
    """Return a diff side of the query: a version number, or `draft`."""
    value = request.args.get(name)
    if value == DRAFT:
        return DRAFT
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 10 \
            or not 1 <= int(value) <= MAX_NUMBER:
        raise BadRequest.fields([(f"/{name}", "must be a version number (from 1) or `draft`"
                                  if value is not None else "is required")])
    return int(value)


def _answer(published: Published) -> Response:
    """Return the answer of a publish: 201 for a new version, 200 when it was the newest."""
    version = published.version
    return json_response({"number": version.number, "content_hash": version.content_hash,
                          "commit": version.commit, "published_at": iso(version.created_at)},
                         status=201 if published.created else 200)


def _detail(published: Published, **extra: object) -> dict:
    """Return the audit detail of a publish."""
    version = published.version
    return {"number": version.number, "content_hash": version.content_hash,
            "commit": version.commit, "created": published.created, **extra}
