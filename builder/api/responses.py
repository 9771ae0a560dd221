"""Responses sets: the list with drafts and live versions, the live set, and a channel preview.

Drafts, publishing, versions and deleting are builder.api.drafts' and versions' routes, as for
flows. The preview renders a response with the runtime's own channel renderers (SMS segments
counted by runtime.channels.segments), so the editor never guesses how a channel shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response

from runtime.responses.preview import preview as render_preview
from runtime.validation import validate_responses

from ..auth import requires
from ..errors import ApiError, BadRequest
from . import current_runtime, current_store, json_response
from .executions import read_json

bp = Blueprint("responses", __name__)
MAX_BODY_BYTES = 256 * 1024  # one response with its variants, as it is being edited
LANGUAGE_LENGTH = 35


@bp.get("/responses")
@requires("viewer")
def list_sets() -> Response:
    """List every responses set (a file, a live version or a draft) with its live version and
    draft, and the problems of the set files refused."""
    workspace = current_runtime().workspace
    refused = [problem.as_dict() for file, problems in sorted(workspace.problems.items())
               if Path(file).parent.name == "responses" for problem in problems]
    return json_response({"sets": current_store().of("responses").catalogue(),
                          "problems": refused})


@bp.get("/responses/<set_id>")
@requires("viewer")
def get_set(set_id: str) -> Response:
    """Return a live responses set's document (see schemas/responses.schema.json)."""
    doc = current_runtime().workspace.responses.sets.get(set_id)
    if doc is None:
        raise ApiError(f"no live responses set with id {set_id!r}", code="responses_not_found",
                       status=404)
    return json_response(doc)


@bp.post("/responses/<set_id>/preview")
@requires("viewer")
def preview(set_id: str) -> Response:
    """Render one response for every channel in a language: a response of the set's working
    copy by `name`, or the `response` sent (as it is being edited). Changes nothing."""
    body = read_json(MAX_BODY_BYTES)
    problems = _check(body)
    if problems:
        raise BadRequest.fields(problems)
    language = body.get("language") or ""
    if "response" in body:
        response = body["response"]
        found = [p for p in validate_responses({"schema": "callwright/responses@1", "id": set_id,
                                                "responses": {"preview": response}})
                 if p.is_error]
        if found:  # the pointers are the sent response's own
            raise BadRequest.fields([("/response" + p.pointer.removeprefix(
                "/responses/preview"), p.message) for p in found])
    else:
        document = current_store().of("responses").working_copy(set_id).document
        response = (document.get("responses") or {}).get(body["name"])
        if not isinstance(response, dict):
            raise ApiError(f"responses set {set_id!r} has no response {body['name']!r}",
                           code="responses_not_found", status=404)
    return json_response({"language": language, "channels": render_preview(response, language)})


def _check(body: Any) -> list[tuple[str, str]]:
    """Return (pointer, message) for what is wrong with a preview body."""
    if not isinstance(body, dict):
        return [("", "the body must be a JSON object {name | response, language?}")]
    problems = [(f"/{key}", f"unexpected field {key!r}") for key in body
                if key not in ("name", "response", "language")]
    if ("name" in body) == ("response" in body):
        problems.append(("/name", "give either name (a response of the set) or response"))
    elif "name" in body and not isinstance(body["name"], str):
        problems.append(("/name", "name must be a string"))
    elif "response" in body and not isinstance(body["response"], dict):
        problems.append(("/response", "response must be a JSON object"))
    language = body.get("language")
    if language is not None and (not isinstance(language, str)
                                 or len(language) > LANGUAGE_LENGTH):
        problems.append(("/language", f"language must be a string such as `ru` or `en-US` "
                                      f"(at most {LANGUAGE_LENGTH} characters)"))
    return problems
