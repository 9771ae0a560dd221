"""GET / and GET /api/v1: where the API, its document and the docs are, and what is not here."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client(workspace_app, front_door, tmp_path):
    """Return a client of an app over an empty workspace, as WSGI and as `serve` runs it, in an
    installation without the editor's files (tests/builder/test_api_editor.py has them)."""
    app = workspace_app()
    app.config["EDITOR_DIR"] = str(tmp_path / "no-editor")
    return front_door(app)


def api_index_errors(client, body: dict) -> list[str]:
    """Return the errors of `body` against the ApiIndex schema of the served OpenAPI document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/ApiIndex", "components": spec["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(body)]


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/"])
def test_the_api_index_links_the_document_the_routes_and_the_docs(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert api_index_errors(client, body) == []
    assert (body["api"], body["openapi"], body["health"]) == (
        "/api/v1", "/api/v1/openapi.json", "/api/v1/health")
    assert body["resources"]["/api/v1/chat/{flow_id}/messages"] == {"POST": "Run one chat turn"}
    assert "GET" in body["resources"]["/api/v1/flows"]
    assert body["docs"]["blocks"] == "docs/blocks.md"
    assert "not served yet" in body["not_yet"]["editor"]
    assert "sip" not in body["not_yet"]  # serve answers calls (its voice node)


def test_every_link_of_the_index_answers(client) -> None:
    body = client.get("/api/v1").get_json()
    for link in (body["api"], body["openapi"], body["health"]):
        assert client.get(link).status_code == 200, link
    spec = client.get(body["openapi"]).get_json()
    assert set(body["resources"]) == {f"/api/v1{path}" for path in spec["paths"]}


def test_the_front_page_answers_json_to_a_program(client) -> None:
    for accept in (None, "*/*", "application/json"):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/", headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json", accept
        assert response.get_json() == client.get("/api/v1").get_json()
        assert "Accept" in response.headers["Vary"]


def test_the_front_page_answers_a_browser_with_a_page_saying_what_is_served(client) -> None:
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode("utf-8")
    assert '<a href="/api/v1/openapi.json">' in page
    assert "POST /api/v1/chat/{flow_id}/messages" in page
    assert "Editor: not served yet" in page and "SIP:" not in page
    assert "docs/blocks.md" in page
