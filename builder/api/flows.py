"""Flows: list them with their live versions and drafts, read a live one, validate a document."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from runtime.validation import FlowTooLarge, ValidationBusy, shared_validation_pool

from ..auth import requires
from ..errors import ApiError
from . import current_runtime, current_store, json_response
from .body import check_readable, read_body

bp = Blueprint("flows", __name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # when the app sets no MAX_CONTENT_LENGTH


@bp.get("/flows")
@requires("viewer")
def list_flows() -> Response:
    """List every flow (published, or only a draft): its live version and its draft."""
    return json_response({"flows": current_store().catalogue()})


@bp.get("/flows/<flow_id>")
@requires("viewer")
def get_flow(flow_id: str) -> Response:
    """Return a live flow's document; its ETag is the flow's version."""
    flow = current_runtime().workspace.flows.get(flow_id)
    if flow is None:
        raise ApiError(f"no live flow with id {flow_id!r}", code="flow_not_found", status=404)
    response = json_response(flow.doc)
    response.set_etag(flow.version)
    return response.make_conditional(request)


@bp.post("/flows/<flow_id>/validate")
@requires("viewer")
def validate(flow_id: str) -> Response:
    """Validate a flow document (JSON text) against the schemas, the registry and the workspace.

    The work runs in a validation worker process (it would hold up this process's chat turns);
    a flow over the block limit is a 413, a full pool a 503 with Retry-After.
    """
    runtime = current_runtime()
    pool = shared_validation_pool(runtime.workspace.settings)
    try:
        report = pool.check(request_text(), flow_id=flow_id, registry=runtime.registry,
                            flows=runtime.workspace.docs, bots=runtime.workspace.bot_docs)
    except FlowTooLarge as exc:
        raise ApiError(str(exc), code=exc.code, status=413,
                       details=[problem.as_dict() for problem in exc.problems]) from None
    except ValidationBusy as exc:
        raise ApiError(str(exc), code=exc.code, status=503,
                       headers={"Retry-After": str(exc.retry_after_s)}) from None
    return Response(report, mimetype="application/json")


def request_text() -> str:
    """Return the whole request body as text (a BOM is tolerated), or raise a 4xx ApiError."""
    # over MAX_CONTENT_LENGTH, not UTF-8, or holding what no JSON reader here holds (a lone
    # surrogate, an integer of thousands of digits) is the request's fault; every other problem
    # of the document is the validation's to report
    data = read_body(request.environ, current_app.config["MAX_CONTENT_LENGTH"] or MAX_BODY_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}",
                       details=[{"pointer": "", "message": "not UTF-8 text"}]) from None
    check_readable(text)
    return text
