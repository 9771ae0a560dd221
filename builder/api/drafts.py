"""Drafts: start a document, read and save its working copy, delete it; rename, duplicate flows.

Flows, bots and responses sets alike (builder.api.kinds): a draft is saved as sent, valid or
not; its ETag is a hash of its bytes, and a save names the ETag it was made on (`If-Match`): a
stale one is a 409 `version_mismatch` that changes nothing. Deleting a flow takes an editor;
deleting a bot or a responses set, which every channel's flows answer with, an admin.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..auth import audit, requires
from ..flowstore import Draft
from ..flowstore.times import iso
from . import current_store, json_response
from .edits import author, document_body, fields_body, if_match
from .kinds import BOTS, FLOWS, RESPONSES, register

bp = Blueprint("drafts", __name__)


@requires("editor")
def create_flow(kind: str) -> Response:
    """Start a new document: a draft (a flow's starts at one `end` block)."""
    body = fields_body({"id": True, "name": False, "description": False})
    draft = current_store().of(kind).create(body["id"], author(), name=body.get("name"),
                                            description=body.get("description"))
    audit(f"{kind}_created", kind, draft.flow_id, {"etag": draft.etag})
    return _created(kind, draft)


@requires("viewer")
def get_draft(kind: str, doc_id: str) -> Response:
    """Return a document's working copy (its draft, else its published file) with its ETag."""
    data, etag = current_store().of(kind).working_bytes(doc_id)
    response = Response(data, mimetype="application/json")
    response.set_etag(etag)
    return response.make_conditional(request)


@requires("editor")
def save_draft(kind: str, doc_id: str) -> Response:
    """Save a document's draft as sent, over the copy named by `If-Match`."""
    data, document = document_body()
    draft = current_store().of(kind).save_draft(doc_id, data, document, author(),
                                                if_match=if_match())
    audit(f"{kind}_saved", kind, doc_id, {"etag": draft.etag})
    response = json_response({"etag": draft.etag, "saved_at": iso(draft.info.saved_at)})
    response.set_etag(draft.etag)
    return response


@requires("editor")
def discard_draft(kind: str, doc_id: str) -> Response:
    """Throw a document's draft away (with `If-Match`, only the copy it names)."""
    current_store().of(kind).discard_draft(doc_id, if_match=if_match())
    audit(f"{kind}_draft_discarded", kind, doc_id, {})
    return Response(status=204)


@requires("editor")
def delete_flow(kind: str, doc_id: str) -> Response:
    """Delete a flow: its published file (a commit in a git workspace) and its draft."""
    return _delete(kind, doc_id)


@requires("admin")
def delete_document(kind: str, doc_id: str) -> Response:
    """Delete a bot or responses set: its file (a commit) and its draft; refused while named."""
    return _delete(kind, doc_id)


@requires("editor")
def rename_flow(kind: str, doc_id: str) -> Response:
    """Give a flow another id; refused while routes or other flows name it."""
    new_id = fields_body({"id": True})["id"]
    current_store().of(kind).rename(doc_id, new_id, author())
    audit(f"{kind}_renamed", kind, doc_id, {"to": new_id})
    return json_response({"id": new_id})


@requires("editor")
def duplicate_flow(kind: str, doc_id: str) -> Response:
    """Copy a flow's working copy into a new flow's draft."""
    body = fields_body({"id": True, "name": False})
    draft = current_store().of(kind).duplicate(doc_id, body["id"], author(),
                                               name=body.get("name"))
    audit(f"{kind}_duplicated", kind, draft.flow_id, {"from": doc_id, "etag": draft.etag})
    return _created(kind, draft)


def _delete(kind: str, doc_id: str) -> Response:
    current_store().of(kind).delete(doc_id, author())
    audit(f"{kind}_deleted", kind, doc_id, {})
    return Response(status=204)


def _created(kind: str, draft: Draft) -> Response:
    """Return the 201 answer of a new document's draft."""
    response = json_response({"id": draft.flow_id, "etag": draft.etag}, status=201)
    response.set_etag(draft.etag)
    plural = {FLOWS.kind: FLOWS, BOTS.kind: BOTS, RESPONSES.kind: RESPONSES}[kind].plural
    response.headers["Location"] = f"{request.root_path}/api/v1/{plural}/{draft.flow_id}/draft"
    return response


register(bp, "/{plural}", create_flow, ["POST"])
register(bp, "/{plural}/{id}/draft", get_draft, ["GET"])
register(bp, "/{plural}/{id}/draft", save_draft, ["PUT"])
register(bp, "/{plural}/{id}/draft", discard_draft, ["DELETE"])
register(bp, "/{plural}/{id}", delete_flow, ["DELETE"], (FLOWS,))
register(bp, "/{plural}/{id}", delete_document, ["DELETE"], (BOTS, RESPONSES))
register(bp, "/{plural}/{id}/rename", rename_flow, ["POST"], (FLOWS,))
register(bp, "/{plural}/{id}/duplicate", duplicate_flow, ["POST"], (FLOWS,))
