"""The API's errors and the one handler that turns every error into the JSON envelope."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from blocks.sdk import ConfigurationError
from runtime.errors import EngineError

log = logging.getLogger(__name__)

# The one table of HTTP statuses for the runtime's and the flow store's errors, by their stable
# code. A runtime error whose code is not listed is a server fault (500, logged, no detail to
# the client).
ERROR_STATUS = {
    "flow_not_found": 404,
    "bot_not_found": 404,
    "responses_not_found": 404,
    "session_not_found": 404,
    "no_route": 404,
    "version_not_found": 404,
    "draft_not_found": 404,
    "bad_signature": 401,
    "sign_in_required": 401,
    "invalid_credentials": 401,
    "unauthorized": 401,
    "forbidden": 403,
    "csrf_failed": 403,
    "api_tokens_not_configured": 403,
    "user_not_found": 404,
    "token_not_found": 404,
    "user_exists": 409,
    "last_admin": 409,
    "too_many_attempts": 429,
    "session_ended": 409,
    "session_busy": 409,
    "not_configured": 409,
    "opted_out": 409,
    "invalid_number": 400,
    "flow_exists": 409,
    "flow_in_use": 409,
    "bot_exists": 409,
    "bot_in_use": 409,
    "responses_exists": 409,
    "responses_in_use": 409,
    "invalid_bot": 422,
    "invalid_responses": 422,
    "version_mismatch": 409,
    "invalid_flow": 422,
    "precondition_required": 428,
    "git_failed": 500,
    "queue_unavailable": 503,
    "session_store_unavailable": 503,
}


class ApiError(Exception):
    """A request the API refuses: a stable snake_case `code`, an HTTP status and details."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: list[Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or []


class BadRequest(ApiError):
    """The request body or parameters are wrong; `details` name each wrong field."""

    @classmethod
    def fields(cls, problems: list[tuple[str, str]]) -> BadRequest:
        """Return an error listing (JSON pointer, message) pairs, one detail each."""
        details = [{"pointer": pointer, "message": message} for pointer, message in problems]
        text = "; ".join(f"{pointer or 'the body'}: {message}" for pointer, message in problems)
        return cls(f"invalid request body: {text}", details=details)


class UnsupportedMediaType(ApiError):
    """The body is not in a format the endpoint accepts."""

    code = "unsupported_media_type"
    status = 415


def error_body(code: str, message: str, details: list[Any] | None = None) -> bytes:
    """Return the JSON error envelope `{"error": {code, message, details}}` as UTF-8 bytes."""
    body = {"error": {"code": code, "message": message, "details": details or []}}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate quoted from the request: escape it instead
        return json.dumps(body, separators=(",", ":")).encode()


def envelope(status: int, code: str, message: str, details: list[Any] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    """Return the JSON error envelope as a Flask response."""
    return Response(error_body(code, message, details), status=status,
                    mimetype="application/json", headers=headers)


def _problem_dict(problem: Any) -> Any:
    """Return the JSON form of a validation problem (or its text when it has none)."""
    as_dict = getattr(problem, "as_dict", None)
    return as_dict() if callable(as_dict) else str(problem)


def _http_code(exc: HTTPException) -> str:
    """Return a snake_case code from a werkzeug exception's name (`Not Found` -> `not_found`)."""
    return re.sub(r"[^a-z0-9]+", "_", (exc.name or "error").lower()).strip("_")


def error_parts(exc: Exception) -> tuple[int, bytes, dict[str, str]]:
    """Return (status, envelope bytes, extra headers) for any exception raised serving a request."""
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.code, exc.message, exc.details), exc.headers
    if isinstance(exc, (EngineError, ConfigurationError)) and exc.code in ERROR_STATUS:
        details = [_problem_dict(p) for p in getattr(exc, "problems", ())]
        return ERROR_STATUS[exc.code], error_body(exc.code, str(exc), details), {}
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
        # keep headers such as Allow (405) but not werkzeug's HTML content type
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return exc.code, error_body(_http_code(exc), exc.description or exc.name), headers
    log.error("unhandled error in API request", exc_info=exc)
    return 500, error_body("internal_error", "internal server error; the error has been logged"), {}


def handle_error(exc: Exception) -> Response:
    """Turn any exception raised by a view into the JSON error envelope."""
    status, body, headers = error_parts(exc)
    return Response(body, status=status, mimetype="application/json", headers=headers)


def init_app(app: Flask) -> None:
    """Install the one JSON error handler on the app (it also catches werkzeug's errors)."""
    app.register_error_handler(Exception, handle_error)
