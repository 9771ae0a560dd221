"""Versions: publish a working copy, list and read versions, roll back; compare flow versions.

Flows, bots and responses sets alike (builder.api.kinds); a publish is live at once in this
process and taken live by every other serve worker when it next looks at the files.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..auth import audit, requires
from ..errors import BadRequest
from ..flowstore import Published
from ..flowstore.times import iso
from ..flowstore.versions import MAX_NUMBER
from . import current_store, json_response
from .edits import author, fields_body, if_match
from .kinds import register

bp = Blueprint("versions", __name__)
DRAFT = "draft"


@requires("editor")
def publish(kind: str, doc_id: str) -> Response:
    """Publish the working copy named by `If-Match` as the next version, live at once."""
    note = fields_body({"note": False}).get("note")
    published = current_store().of(kind).publish(doc_id, author(), note=note,
                                                 if_match=if_match())
    audit(f"{kind}_published", kind, doc_id, _detail(published, note=note))
    return _answer(published)


@requires("editor")
def rollback(kind: str, doc_id: str) -> Response:
    """Publish an earlier version again, as the next version."""
    body = fields_body({"note": False}, {"version": True})
    published = current_store().of(kind).rollback(doc_id, body["version"], author(),
                                                  note=body.get("note"))
    audit(f"{kind}_rolled_back", kind, doc_id, _detail(published, to=body["version"]))
    return _answer(published)


@requires("viewer")
def list_versions(kind: str, doc_id: str) -> Response:
    """List a document's versions, newest first."""
    history = current_store().of(kind).history(doc_id)
    return json_response({"versions": [version.as_dict() for version in history]})


@requires("viewer")
def get_version(kind: str, doc_id: str, number: int) -> Response:
    """Return one version's document as it was published (its ETag is its content hash)."""
    version = current_store().of(kind).version(doc_id, number)
    response = Response(version.text, mimetype="application/json")
    response.set_etag(version.content_hash)
    return response.make_conditional(request)


@requires("viewer")
def diff(kind: str, doc_id: str) -> Response:
    """Compare two versions (`from`, `to`), or a version and the working copy (`to=draft`)."""
    old, new = _side("from"), _side("to")
    return json_response(current_store().of(kind).diff(doc_id, old, new))


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


register(bp, "/{plural}/{id}/publish", publish, ["POST"])
register(bp, "/{plural}/{id}/rollback", rollback, ["POST"])
register(bp, "/{plural}/{id}/versions", list_versions, ["GET"])
register(bp, "/{plural}/{id}/versions/<int:number>", get_version, ["GET"])
register(bp, "/{plural}/{id}/diff", diff, ["GET"])
