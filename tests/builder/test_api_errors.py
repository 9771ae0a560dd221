"""Every error leaves the API as `{"error": {"code", "message", "details"}}` with the right status."""

from __future__ import annotations

import logging

import pytest
from flask import abort

from blocks.sdk import ConfigurationError
from builder.errors import ApiError
from runtime.errors import (EngineError, FlowNotFound, InvalidFlow, NoRoute, SessionBusy,
                            SessionEnded, SessionNotFound, SessionStoreUnavailable)
from runtime.messaging import SignatureError
from runtime.tasks import QueueUnavailable
from runtime.validation import Problem


@pytest.fixture
def app(workspace_app):
    """Return an app over an empty workspace (TESTING on: Flask would propagate errors)."""
    return workspace_app()


def raising(app, exc: BaseException) -> dict:
    """Serve a route that raises `exc`; return the response's status, headers and JSON."""
    def view():
        raise exc
    app.add_url_rule("/api/v1/raise", "raise", view)
    response = app.test_client().get("/api/v1/raise")
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return {"status": response.status_code, **body["error"], "text": response.get_data(True)}


def test_an_api_error_keeps_its_code_status_message_and_details(app) -> None:
    error = raising(app, ApiError("flow is locked", code="flow_locked", status=423,
                                  details=[{"pointer": "/x", "message": "locked"}]))
    assert error["status"] == 423
    assert error["code"] == "flow_locked"
    assert error["message"] == "flow is locked"
    assert error["details"] == [{"pointer": "/x", "message": "locked"}]


def test_an_api_error_defaults_to_400_bad_request(app) -> None:
    error = raising(app, ApiError("nope"))
    assert (error["status"], error["code"], error["details"]) == (400, "bad_request", [])


@pytest.mark.parametrize(("exc", "status", "code"), [
    (FlowNotFound("no flow 'x'"), 404, "flow_not_found"),
    (SessionNotFound("no session 'y'"), 404, "session_not_found"),
    (SessionEnded("session 'y' has ended"), 409, "session_ended"),
    (SessionBusy("session 'y' is busy"), 409, "session_busy"),
    (InvalidFlow("flow 'x' has 1 error"), 422, "invalid_flow"),
    (NoRoute("no sms route for '+1'"), 404, "no_route"),
    (SignatureError("the signature does not match"), 401, "bad_signature"),
    (QueueUnavailable("the task queue at q is unavailable"), 503, "queue_unavailable"),
    (SessionStoreUnavailable("the session store at r is unavailable"), 503,
     "session_store_unavailable"),
    (ConfigurationError("replies on sms need [sms] gateway"), 409, "not_configured"),
])
def test_runtime_errors_map_to_their_status(app, exc: Exception, status: int, code: str) -> None:
    error = raising(app, exc)
    assert (error["status"], error["code"], error["message"]) == (status, code, str(exc))


def test_an_invalid_flow_lists_its_problems_in_details(app) -> None:
    problem = Problem("error", "/blocks/a/exits/next", "exit target 'zz' is not a block", block="a")
    error = raising(app, InvalidFlow("flow 'x' has 1 error", [problem]))
    assert error["status"] == 422
    assert error["details"] == [problem.as_dict()]


def test_an_unexpected_exception_is_a_500_without_internals(app, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="builder.errors"):
        error = raising(app, RuntimeError("password=hunter2 in /srv/secret.py"))
    assert error["status"] == 500
    assert error["code"] == "internal_error"
    assert "hunter2" not in error["text"] and "Traceback" not in error["text"]
    assert "RuntimeError" not in error["text"]
    logged = [r for r in caplog.records if r.name == "builder.errors"]
    assert logged and logged[0].exc_info[0] is RuntimeError


def test_an_engine_error_without_a_mapping_is_a_server_fault(app, caplog) -> None:
    class StoreDown(EngineError):
        code = "store_down"
    with caplog.at_level(logging.ERROR, logger="builder.errors"):
        error = raising(app, StoreDown("redis at 10.0.0.5 refused"))
    assert (error["status"], error["code"]) == (500, "internal_error")
    assert "10.0.0.5" not in error["text"]


def test_a_werkzeug_error_becomes_the_envelope_with_a_snake_case_code(app) -> None:
    def view():
        abort(400)
    app.add_url_rule("/api/v1/abort", "abort", view)
    response = app.test_client().get("/api/v1/abort")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_an_unknown_url_is_a_json_404(app) -> None:
    response = app.test_client().get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405_that_names_the_allowed_ones(app) -> None:
    response = app.test_client().delete("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "application/json"


def test_an_error_quoting_a_lone_surrogate_is_still_an_envelope(app) -> None:
    error = raising(app, ApiError("the key '\ud800' is not a field"))
    assert error["status"] == 400 and error["message"] == "the key '\ud800' is not a field"
