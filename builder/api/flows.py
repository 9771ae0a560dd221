"""Flows: list the live flows, read one, and validate a document before it is saved."""

from __future__ import annotations

from flask import Blueprint, Response, request

from runtime.validation import Problem, locate, parse_json, validate_flow

from ..errors import ApiError
from . import current_runtime, json_response

bp = Blueprint("flows", __name__)


@bp.get("/flows")
def list_flows() -> Response:
    """List the workspace's live flows: id, name and version."""
    flows = current_runtime().workspace.flows
    items = [{"id": flow.id, "name": flow.doc.get("name", flow.id), "version": flow.version}
             for flow in sorted(flows.values(), key=lambda flow: flow.id)]
    return json_response({"flows": items})


@bp.get("/flows/<flow_id>")
def get_flow(flow_id: str) -> Response:
    """Return a live flow's document; its ETag is the flow's version."""
    flow = current_runtime().workspace.flows.get(flow_id)
    if flow is None:
        raise ApiError(f"no live flow with id {flow_id!r}", code="flow_not_found", status=404)
    response = json_response(flow.doc)
    response.set_etag(flow.version)
    return response.make_conditional(request)


@bp.post("/flows/<flow_id>/validate")
def validate(flow_id: str) -> Response:
    """Validate a flow document (JSON text) against the schemas, the registry and the workspace."""
    problems = check_document(flow_id, request_text())
    ok = not any(problem.severity == "error" for problem in problems)
    return json_response({"ok": ok, "problems": [problem.as_dict() for problem in problems]})


def request_text() -> str:
    """Return the request body as text (a BOM is tolerated), or raise ApiError if not UTF-8."""
    data = request.get_data(cache=False)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}",
                       details=[{"pointer": "", "message": "not UTF-8 text"}]) from None


def check_document(flow_id: str, text: str) -> list[Problem]:
    """Return every problem of a flow document sent for `flow_id`, sorted, with lines."""
    source = f"flows/{flow_id}.json"
    doc, problems = parse_json(text, source)
    if problems:
        return problems
    runtime = current_runtime()
    problems = validate_flow(doc, runtime.registry, flows={**runtime.workspace.docs, flow_id: doc})
    body_id = doc.get("id") if isinstance(doc, dict) else None
    if isinstance(body_id, str) and body_id != flow_id:
        problems.append(Problem("error", "/id", f"flow id {body_id!r} does not match the flow "
                                                f"{flow_id!r} of the URL"))
    problems.sort(key=lambda p: (p.pointer, p.message, p.severity))
    return locate(problems, text, source)
