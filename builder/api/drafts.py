"""Drafts: start a flow, read and save its working copy, rename, duplicate and delete flows.

A draft is saved as sent, valid or not; its ETag is a hash of its bytes, and a save names the
ETag it was made on (`If-Match`): a stale one is a 409 `version_mismatch` that changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..auth import audit, requires
from ..flowstore import Draft
from ..flowstore.times import iso
from . import current_store, json_response
from .edits import author, document_body, fields_body, if_match

bp = Blueprint("drafts", __name__)


@bp.post("/flows")
@requires("editor")
def create_flow() -> Response:
    """Start a new flow: a draft whose start is one `end` block."""
    body = fields_body({"id": True, "name": False, "description": False})
    draft = current_store().create(body["id"], author(), name=body.get("name"),
                                   description=body.get("description"))
    audit("flow_created", "flow", draft.flow_id, {"etag": draft.etag})
    return _created(draft)


@bp.get("/flows/<flow_id>/draft")
@requires("viewer")
def get_draft(flow_id: str) -> Response:
    """Return a flow's working copy (its draft, else its published file) with its ETag."""
    data, etag = current_store().working_bytes(flow_id)
    response = Response(data, mimetype="application/json")
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.put("/flows/<flow_id>/draft")
@requires("editor")
def save_draft(flow_id: str) -> Response:
    """Save a flow's draft as sent, over the copy named by `If-Match`."""
    data, document = document_body()
    draft = current_store().save_draft(flow_id, data, document, author(), if_match=if_match())
    audit("flow_saved", "flow", flow_id, {"etag": draft.etag})
    response = json_response({"etag": draft.etag, "saved_at": iso(draft.info.saved_at)})
    response.set_etag(draft.etag)
    return response


@bp.delete("/flows/<flow_id>/draft")
@requires("editor")
def discard_draft(flow_id: str) -> Response:
    """Throw a flow's draft away (with `If-Match`, only the copy it names)."""
    current_store().discard_draft(flow_id, if_match=if_match())
    audit("flow_draft_discarded", "flow", flow_id, {})
    return Response(status=204)


@bp.delete("/flows/<flow_id>")
@requires("editor")
def delete_flow(flow_id: str) -> Response:
    """Delete a flow: its published file (a commit in a git workspace) and its draft."""
    current_store().delete(flow_id, author())
    audit("flow_deleted", "flow", flow_id, {})
    return Response(status=204)


@bp.post("/flows/<flow_id>/rename")
@requires("editor")
def rename_flow(flow_id: str) -> Response:
    """Give a flow another id; refused while routes or other flows name it."""
    new_id = fields_body({"id": True})["id"]
    current_store().rename(flow_id, new_id, author())
    audit("flow_renamed", "flow", flow_id, {"to": new_id})
    return json_response({"id": new_id})


@bp.post("/flows/<flow_id>/duplicate")
@requires("editor")
def duplicate_flow(flow_id: str) -> Response:
    """Copy a flow's working copy into a new flow's draft."""
    body = fields_body({"id": True, "name": False})
    draft = current_store().duplicate(flow_id, body["id"], author(), name=body.get("name"))
    audit("flow_duplicated", "flow", draft.flow_id, {"from": flow_id, "etag": draft.etag})
    return _created(draft)


def _created(draft: Draft) -> Response:
    """Return the 201 answer of a new flow's draft."""
    response = json_response({"id": draft.flow_id, "etag": draft.etag}, status=201)
    response.set_etag(draft.etag)
    response.headers["Location"] = f"{request.root_path}/api/v1/flows/{draft.flow_id}/draft"
    return response
