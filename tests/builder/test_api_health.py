"""GET /api/v1/health and GET /api/v1/openapi.json, which must describe the API as it is."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
from jsonschema import Draft202012Validator

from builder.api import chat, editor, webchat

FLOW = {"schema": "callwright/flow@1", "id": "bot", "start": "hello",
        "blocks": {"hello": {"type": "say", "config": {"text": "Hello."}, "exits": {"next": "menu"}},
                   "menu": {"type": "menu",
                            "config": {"prompt": "1 or 2?",
                                       "options": [{"key": "1", "label": "One", "exit": "one"},
                                                   {"key": "2", "label": "Two", "exit": "two"}]}}}}
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def app(workspace_app):
    """Return an app over a workspace with one small flow."""
    return workspace_app(FLOW)


@pytest.fixture
def spec(app) -> dict:
    """Return the OpenAPI document as the server serves it."""
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def conforms(spec: dict, name: str, instance: object) -> list[str]:
    """Return the errors of `instance` against the component schema `name` of the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


def test_health_answers_ok(app) -> None:
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_document_is_valid_openapi_3_1(spec: dict) -> None:
    assert spec["openapi"].startswith("3.1.")
    if importlib.util.find_spec("openapi_spec_validator") is not None:
        from openapi_spec_validator import OpenAPIV31SpecValidator

        assert [e.message for e in OpenAPIV31SpecValidator(spec).iter_errors()] == []
        return
    # without the validator: the structure OpenAPI 3.1 requires, checked with jsonschema
    structure = {
        "type": "object", "required": ["openapi", "info", "paths"],
        "properties": {
            "info": {"type": "object", "required": ["title", "version"]},
            "paths": {"type": "object", "propertyNames": {"pattern": "^/"},
                      "additionalProperties": {
                          "type": "object", "propertyNames": {"enum": [*METHODS, "parameters"]},
                          "additionalProperties": {"type": ["object", "array"]}}}}}
    assert [e.message for e in Draft202012Validator(structure).iter_errors(spec)] == []
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


def test_every_reference_in_the_document_resolves(spec: dict) -> None:
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(spec))
    assert refs
    for ref in refs:
        node = spec
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]


def test_the_document_describes_exactly_the_routes_the_app_serves(app, spec: dict) -> None:
    served = set()
    outside = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
            served |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
        else:
            outside.add(rule.rule)
    # the front page, the editor's pages and assets, the chat widget's script, Flask's static
    # files and Prometheus's /metrics (text, not JSON) are not part of the API; anything else
    # must be
    assert outside <= {"/", "/static/<path:filename>", "/assets/<path:name>", "/metrics",
                       "/widget.js", *editor.CLIENT_ROUTES}
    # served in front of Flask's router, by builder.api.chat and builder.api.webchat
    served |= {(chat.ROUTE, "post"), (webchat.ROUTE, "post")}
    described = {(path, method) for path, item in spec["paths"].items()
                 for method in item if method in METHODS}
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert served == described


def test_real_error_responses_match_the_error_envelope_schema(app, spec: dict) -> None:
    client = app.test_client()
    responses = [client.post("/api/v1/chat/bot/messages", json={"text": 3}),
                 client.post("/api/v1/chat/nope/messages", json={"text": "x"}),
                 client.post("/api/v1/chat/bot/messages", data="x"),
                 client.get("/api/v1/missing")]
    for response in responses:
        assert response.status_code >= 400
        assert conforms(spec, "Error", response.get_json()) == []
    assert conforms(spec, "Error", {"error": {"code": "x"}}) != []  # the schema does check


def test_real_success_responses_match_their_schemas(app, spec: dict) -> None:
    client = app.test_client()
    turn = client.post("/api/v1/chat/bot/messages", json={"text": "hi"}).get_json()
    assert conforms(spec, "ChatTurn", turn) == []
    assert conforms(spec, "BlockCatalogue", client.get("/api/v1/blocks").get_json()) == []
    assert conforms(spec, "FlowList", client.get("/api/v1/flows").get_json()) == []
    assert conforms(spec, "FlowDocument", client.get("/api/v1/flows/bot").get_json()) == []
    report = client.post("/api/v1/flows/bot/validate", data="{").get_json()
    assert report["problems"] and conforms(spec, "ValidationReport", report) == []
    bad_turn = {"session": 1, "replies": [], "ended": False}
    assert conforms(spec, "ChatTurn", bad_turn) != []


def test_the_chat_message_schema_agrees_with_the_server(app, spec: dict) -> None:
    client = app.test_client()
    for body in ({"text": "hi"}, {"text": "hi", "session": None}, {"text": 1}, {"text": "x" * 4001},
                 {"text": "hi", "extra": True}, {}):
        accepted = client.post("/api/v1/chat/bot/messages", json=body).status_code != 400
        assert (conforms(spec, "ChatMessage", body) == []) is accepted, body
