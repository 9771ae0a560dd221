"""GET/POST /api/v1/users, PATCH/DELETE /api/v1/users/<name>: admins manage who signs in."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from builder.auth.state import state_of


@pytest.fixture
def app(auth_app):
    """Return an app with an admin (anna), an editor (ed) and a viewer (vic)."""
    return auth_app("anna:admin", "ed:editor", "vic:viewer")


@pytest.fixture
def admin(app, sign_in):
    """Return anna's signed-in client and its CSRF header."""
    client = app.test_client()
    return client, {"X-CSRF-Token": sign_in(client, "anna")}


def conforms(client, name: str, instance: object) -> list[str]:
    """Return the errors of an instance against a component schema of the served document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


def actions(app) -> list[tuple[str, str | None, dict]]:
    """Return (action, target id, detail) of the user entries of the audit log, oldest first."""
    return [(e["action"], e["target_id"], e["detail"])
            for e in reversed(state_of(app).log.entries()) if e["target_kind"] == "user"]


def test_an_admin_lists_the_users_without_their_hashes(admin) -> None:
    client, _ = admin
    body = client.get("/api/v1/users").get_json()
    assert [(u["name"], u["role"]) for u in body["users"]] == [
        ("anna", "admin"), ("ed", "editor"), ("vic", "viewer")]
    assert "password_hash" not in str(body) and "pw-of" not in str(body)
    assert conforms(client, "UserList", body) == []


def test_an_admin_adds_a_user_who_can_then_sign_in(app, admin, sign_in) -> None:
    client, csrf = admin
    response = client.post("/api/v1/users", headers=csrf, json={
        "name": "Olga", "role": "editor", "password": "olga-password-1", "language": "ru",
        "display_name": "Ольга", "email": "olga@example.com"})
    assert response.status_code == 201
    user = response.get_json()
    assert (user["name"], user["role"], user["language"], user["display_name"]) == (
        "olga", "editor", "ru", "Ольга")
    assert response.headers["Location"] == "/api/v1/users/olga"
    assert conforms(client, "User", user) == []
    sign_in(app.test_client(), "olga", "olga-password-1")
    assert actions(app)[0] == ("user_added", "olga", {"role": "editor"})
    assert state_of(app).log.entries(action="user_added")[0]["actor"] == "anna"


def test_a_taken_name_is_a_409(admin) -> None:
    client, csrf = admin
    response = client.post("/api/v1/users", headers=csrf,
                           json={"name": "ed", "role": "viewer", "password": "long-enough-1"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "user_exists"


@pytest.mark.parametrize("body, pointers", [
    ({}, ["/name", "/role", "/password"]),
    ({"name": "Has Space", "role": "viewer", "password": "long-enough-1"}, ["/name"]),
    ({"name": "x", "role": "owner", "password": "long-enough-1"}, ["/role"]),
    ({"name": "x", "role": "viewer", "password": "short"}, ["/password"]),
    ({"name": "x", "role": "viewer", "password": "long-enough-1", "language": "de"},
     ["/language"]),
    ({"name": "x", "role": "viewer", "password": "long-enough-1", "admin": True}, ["/admin"]),
    ({"name": "x", "role": "viewer", "password": "long-enough-1", "email": 5}, ["/email"]),
])
def test_a_bad_new_user_is_a_400_naming_every_field(admin, body, pointers) -> None:
    client, csrf = admin
    response = client.post("/api/v1/users", headers=csrf, json=body)
    assert response.status_code == 400
    assert sorted(d["pointer"] for d in response.get_json()["error"]["details"]) == sorted(pointers)


def test_an_admin_changes_a_role_and_it_holds_at_once(app, admin, sign_in) -> None:
    client, csrf = admin
    vic = app.test_client()
    vic_csrf = {"X-CSRF-Token": sign_in(vic, "vic")}
    assert vic.post("/api/v1/users", headers=vic_csrf, json={}).status_code == 403
    response = client.patch("/api/v1/users/vic", headers=csrf, json={"role": "admin"})
    assert response.status_code == 200 and response.get_json()["role"] == "admin"
    assert vic.get("/api/v1/users").status_code == 200  # the same session, its new role
    assert actions(app)[-1] == ("user_changed", "vic", {"fields": ["role"], "role": "admin"})


def test_a_new_password_signs_the_user_out_everywhere(app, admin, sign_in) -> None:
    client, csrf = admin
    ed = app.test_client()
    sign_in(ed, "ed")
    response = client.patch("/api/v1/users/ed", headers=csrf, json={"password": "new-password-2"})
    assert response.status_code == 200
    assert ed.get("/api/v1/session").status_code == 401
    sign_in(app.test_client(), "ed", "new-password-2")
    assert "new-password-2" not in str(state_of(app).log.entries())


def test_an_admin_changing_their_own_password_stays_signed_in(app, admin, sign_in) -> None:
    client, csrf = admin
    elsewhere = app.test_client()
    sign_in(elsewhere, "anna")
    assert client.patch("/api/v1/users/anna", headers=csrf,
                        json={"password": "new-password-3"}).status_code == 200
    assert client.get("/api/v1/session").status_code == 200
    assert elsewhere.get("/api/v1/session").status_code == 401


def test_removing_a_user_ends_their_sessions(app, admin, sign_in) -> None:
    client, csrf = admin
    vic = app.test_client()
    sign_in(vic, "vic")
    assert client.delete("/api/v1/users/vic", headers=csrf).status_code == 204
    assert vic.get("/api/v1/session").status_code == 401
    assert [u["name"] for u in client.get("/api/v1/users").get_json()["users"]] == ["anna", "ed"]
    assert actions(app)[-1] == ("user_removed", "vic", {"role": "viewer"})


def test_an_unknown_user_is_a_404(admin) -> None:
    client, csrf = admin
    assert client.patch("/api/v1/users/nobody", headers=csrf,
                        json={"role": "viewer"}).status_code == 404
    response = client.delete("/api/v1/users/nobody", headers=csrf)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "user_not_found"


def test_the_last_admin_cannot_go_or_step_down_while_others_remain(admin) -> None:
    client, csrf = admin
    for response in (client.patch("/api/v1/users/anna", headers=csrf, json={"role": "editor"}),
                     client.delete("/api/v1/users/anna", headers=csrf)):
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "last_admin"
    assert client.patch("/api/v1/users/ed", headers=csrf, json={"role": "admin"}
                        ).status_code == 200
    assert client.patch("/api/v1/users/anna", headers=csrf, json={"role": "editor"}
                        ).status_code == 200


@pytest.mark.parametrize("who", ["ed", "vic"])
def test_only_admins_manage_users(app, sign_in, who) -> None:
    client = app.test_client()
    csrf = {"X-CSRF-Token": sign_in(client, who)}
    assert client.get("/api/v1/users").status_code == 403
    assert client.post("/api/v1/users", headers=csrf, json={
        "name": "mal", "role": "admin", "password": "long-enough-1"}).status_code == 403
    assert client.patch("/api/v1/users/anna", headers=csrf,
                        json={"password": "taken-over-1"}).status_code == 403
    assert client.delete("/api/v1/users/anna", headers=csrf).status_code == 403
    assert [u.name for u in state_of(app).users.all()] == ["anna", "ed", "vic"]
