"""GET /api/v1/audit: who did what, for editors and admins."""

from __future__ import annotations

import pytest

from builder.auth.state import state_of


@pytest.fixture
def app(auth_app):
    """Return an app with an admin, an editor and a viewer, and a few audited changes."""
    app = auth_app("anna:admin", "ed:editor", "vic:viewer")
    log = state_of(app).log
    log.record("ed", "user", "flow_saved", "flow", "support", {"etag": "a"}, "127.0.0.1")
    log.record("ed", "user", "flow_published", "flow", "support", {"version": 1}, "127.0.0.1")
    log.record("ci", "token", "flow_published", "flow", "billing", {"version": 4}, "10.0.0.2")
    return app


def entries(client, query: str = "") -> list[dict]:
    """Return the entries of GET /audit with a query string."""
    response = client.get(f"/api/v1/audit{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["entries"]


def test_an_editor_reads_the_log_newest_first(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "ed")
    found = entries(client)
    assert [(e["actor"], e["action"], e["target_id"]) for e in found] == [
        ("ed", "sign_in", "ed"), ("ci", "flow_published", "billing"),
        ("ed", "flow_published", "support"), ("ed", "flow_saved", "support")]
    assert set(found[1]) == {"at", "actor", "actor_kind", "action", "target_kind", "target_id",
                             "detail", "address"}
    assert found[1]["detail"] == {"version": 4} and found[1]["actor_kind"] == "token"


def test_entries_are_filtered_by_action_and_target_and_paged_by_time(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "anna")
    published = entries(client, "?action=flow_published")
    assert [e["target_id"] for e in published] == ["billing", "support"]
    assert [e["action"] for e in entries(client, "?target=support")] == [
        "flow_published", "flow_saved"]
    first = entries(client, "?limit=2")
    assert len(first) == 2
    rest = entries(client, f"?before={first[-1]['at']}")
    assert [e["action"] for e in rest] == ["flow_published", "flow_saved"]


def test_a_viewer_cannot_read_the_log(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "vic")
    response = client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?limit=x", "?limit=%C2%B2",
                                   "?before=nan", "?before=soon", "?before=" + "9" * 400,
                                   "?action=" + "a" * 129, "?target=a%00b"])
def test_a_bad_query_is_a_400(app, sign_in, query) -> None:
    client = app.test_client()
    sign_in(client, "anna")
    assert client.get(f"/api/v1/audit{query}").status_code == 400


def test_the_answer_matches_its_schema(app, sign_in) -> None:
    from jsonschema import Draft202012Validator

    client = app.test_client()
    sign_in(client, "anna")
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/AuditList", "components": spec["components"]}
    body = client.get("/api/v1/audit").get_json()
    assert list(Draft202012Validator(schema).iter_errors(body)) == []
