"""GET /api/v1/flows/<id>/executions: a flow's recent sessions for the editor, simulations left out."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

FIELDS = {"execution", "channel", "status", "disposition", "turns", "steps", "started_at",
          "updated_at"}


@pytest.fixture
def app(workspace_app, reminder_flow):
    """Return an app over a workspace with the reminder flow."""
    return workspace_app(reminder_flow)


@pytest.fixture
def client(app):
    """Return the local admin's test client (a loopback server with no users)."""
    client = app.test_client()
    client.environ_base["HTTP_X_CSRF_TOKEN"] = client.get("/api/v1/session").get_json()["csrf_token"]
    return client


def chat(client, text: str, session: str | None = None) -> dict:
    """Run a chat turn of the reminder flow; return its answer."""
    body = {"text": text} if session is None else {"session": session, "text": text}
    response = client.post("/api/v1/chat/reminder/messages", json=body)
    assert response.status_code == 200
    return response.get_json()


def listed(client, query: str = "") -> list[dict]:
    """Return the reminder flow's executions as listed."""
    response = client.get(f"/api/v1/flows/reminder/executions{query}")
    assert response.status_code == 200
    return response.get_json()["executions"]


def test_chat_sessions_are_listed_newest_first_with_their_counts(client) -> None:
    done = chat(client, "hi")
    chat(client, "1", done["session"])
    waiting = chat(client, "hello")
    rows = listed(client)
    assert [row["execution"] for row in rows] == [waiting["session"], done["session"]]
    assert all(set(row) == FIELDS for row in rows)
    assert rows[0]["status"] == "waiting" and rows[0]["disposition"] is None
    assert rows[1]["channel"] == "chat"
    assert rows[1]["status"] == "ended" and rows[1]["disposition"] == "confirmed"
    assert rows[1]["turns"] == 2 and rows[1]["steps"] == 2
    assert rows[1]["started_at"] <= rows[1]["updated_at"] <= rows[0]["updated_at"]


def test_simulations_are_left_out(client) -> None:
    real = chat(client, "hi")
    simulated = client.post("/api/v1/flows/reminder/simulations", json={"channel": "chat"})
    assert simulated.status_code == 201
    assert [row["execution"] for row in listed(client)] == [real["session"]]


def test_limit_and_before_page_through_the_list(client) -> None:
    sessions = [chat(client, f"hi {n}")["session"] for n in range(3)]
    first = listed(client, "?limit=2")
    assert [row["execution"] for row in first] == sessions[:0:-1]
    rest = listed(client, f"?limit=2&before={first[-1]['updated_at']}")
    assert [row["execution"] for row in rest] == [sessions[0]]


def test_a_flow_without_executions_lists_none(client) -> None:
    assert client.get("/api/v1/flows/other/executions").get_json() == {"executions": []}


def test_a_flow_id_no_flow_can_have_lists_none_on_either_database(workspace_app, reminder_flow,
                                                                 records_url) -> None:
    # a NUL reaches PostgreSQL only to be refused there: no flow has such an id
    app = workspace_app(reminder_flow, toml=f'[storage]\ndatabase_url = "{records_url}"\n')
    client = app.test_client()
    for flow_id in ("a%00b", "x" * 300):
        response = client.get(f"/api/v1/flows/{flow_id}/executions")
        assert response.status_code == 200, response.get_data(True)
        assert response.get_json() == {"executions": []}


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?limit=ten", "?before=soon",
                                   "?before=nan", "?before=1e999"])
def test_bad_paging_is_a_bad_request(client, query: str) -> None:
    response = client.get(f"/api/v1/flows/reminder/executions{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_the_list_matches_the_documented_schema(client) -> None:
    chat(client, "hi")
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/ExecutionList", "components": spec["components"]}
    answer = client.get("/api/v1/flows/reminder/executions").get_json()
    assert answer["executions"]
    assert list(Draft202012Validator(schema).iter_errors(answer)) == []


def test_viewers_list_executions_and_strangers_do_not(auth_app, sign_in) -> None:
    app = auth_app("vera:viewer")
    stranger = app.test_client()
    assert stranger.get("/api/v1/flows/reminder/executions").status_code == 401
    viewer = app.test_client()
    sign_in(viewer, "vera")
    session = chat(viewer, "hi")["session"]
    answer = viewer.get("/api/v1/flows/reminder/executions")
    assert answer.status_code == 200
    assert [row["execution"] for row in answer.get_json()["executions"]] == [session]
    # and the steps of one, which the editor's executions panel shows on the canvas
    steps = viewer.get(f"/api/v1/executions/{session}")
    assert steps.status_code == 200
    assert [step["block"] for step in steps.get_json()["steps"]] == ["ask"]
