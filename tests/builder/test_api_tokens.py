"""GET/POST /api/v1/tokens and DELETE /api/v1/tokens/<id>: API tokens with a role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from builder.auth.state import state_of
from runtime.records.schema import api_tokens


@pytest.fixture
def app(auth_app):
    """Return an app with an admin (anna) and an editor (ed)."""
    return auth_app("anna:admin", "ed:editor")


@pytest.fixture
def admin(app, sign_in):
    """Return anna's signed-in client and its CSRF header."""
    client = app.test_client()
    return client, {"X-CSRF-Token": sign_in(client, "anna")}


def test_a_token_is_shown_once_and_only_its_hash_is_kept(app, admin) -> None:
    client, csrf = admin
    response = client.post("/api/v1/tokens", headers=csrf, json={"name": "ci", "role": "editor"})
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"cw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", body["token"])
    assert (body["name"], body["role"], body["created_by"]) == ("ci", "editor", "anna")
    assert body["token"].split("_", 2)[1] == body["id"]
    assert response.headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/tokens").get_json()["tokens"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    secret = body["token"].split("_", 2)[2]
    with state_of(app).users.engine.connect() as conn:
        stored = conn.execute(select(api_tokens)).one()
    assert secret not in str(tuple(stored)) and len(stored.secret_hash) == 64
    entry = state_of(app).log.entries(action="token_added")[0]
    assert entry["detail"] == {"name": "ci", "role": "editor"}
    assert body["token"] not in str(state_of(app).log.entries())


def test_a_made_token_works_with_its_role_and_stops_when_removed(app, admin) -> None:
    client, csrf = admin
    body = client.post("/api/v1/tokens", headers=csrf,
                       json={"name": "reader", "role": "viewer"}).get_json()
    script = app.test_client()
    script.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert script.get("/api/v1/flows", headers=auth).status_code == 200
    assert script.get("/api/v1/tokens", headers=auth).status_code == 403
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=csrf).status_code == 204
    response = script.get("/api/v1/flows", headers=auth)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert state_of(app).log.entries()[0]["action"] == "token_removed"


def test_an_unknown_token_id_is_a_404(admin) -> None:
    client, csrf = admin
    response = client.delete("/api/v1/tokens/nope", headers=csrf)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "token_not_found"


@pytest.mark.parametrize("body, pointers", [
    ({}, ["/name", "/role"]), ({"name": " ", "role": "viewer"}, ["/name"]),
    ({"name": "x", "role": "root"}, ["/role"]), ({"name": "x", "role": "viewer", "y": 1}, ["/y"]),
    ({"name": "x" * 129, "role": "viewer"}, ["/name"]),
])
def test_a_bad_token_request_is_a_400(admin, body, pointers) -> None:
    client, csrf = admin
    response = client.post("/api/v1/tokens", headers=csrf, json=body)
    assert response.status_code == 400
    assert sorted(d["pointer"] for d in response.get_json()["error"]["details"]) == sorted(pointers)


def test_an_editor_cannot_make_tokens(app, sign_in) -> None:
    client = app.test_client()
    csrf = {"X-CSRF-Token": sign_in(client, "ed")}
    assert client.post("/api/v1/tokens", headers=csrf,
                       json={"name": "x", "role": "admin"}).status_code == 403
    assert client.get("/api/v1/tokens").status_code == 403
    assert state_of(app).tokens.all() == []


def test_a_token_may_make_tokens_when_it_is_an_admin_s(auth_app) -> None:
    app = auth_app(toml='[api]\ntokens = ["settings-token-0123456789abcdef"]\n')
    response = app.test_client().post(
        "/api/v1/tokens", json={"name": "ci", "role": "editor"},
        headers={"Authorization": "Bearer settings-token-0123456789abcdef"})
    assert response.status_code == 201 and response.get_json()["created_by"] == "api-token-1"


def test_a_token_with_a_long_name_makes_tokens_on_either_database(auth_app, records_url) -> None:
    # a token's name may have 128 characters, the column of who made a token 64
    app = auth_app(toml=f'[storage]\ndatabase_url = "{records_url}"\n')
    _maker, text = state_of(app).tokens.add("m" * 128, "admin")
    response = app.test_client().post("/api/v1/tokens", json={"name": "ci", "role": "editor"},
                                      headers={"Authorization": f"Bearer {text}"})
    assert response.status_code == 201, response.get_data(True)
    assert response.get_json()["created_by"] == "m" * 64
