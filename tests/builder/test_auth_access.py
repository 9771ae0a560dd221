"""Who may do what: roles, CSRF on writes, Bearer tokens, local mode, and the public routes."""

from __future__ import annotations

import pytest
from flask import Blueprint, Response

from builder.api import json_response
from builder.auth import audit, current_identity, requires
from builder.auth.state import state_of

OUTSIDE = {"REMOTE_ADDR": "192.0.2.7"}
SETTINGS_TOKEN = "settings-token-0123456789abcdef"
TOKENS_TOML = f'[api]\ntokens = ["{SETTINGS_TOKEN}"]\n'


def probe_routes(app) -> list[str]:
    """Add a small resource to an app: a write that needs an editor, a read, an admin's read.

    The write records who made it: the test tells whether a refused write changed anything.
    """
    bp = Blueprint("probe", __name__)
    made: list[str] = []

    @bp.post("/probe/publish")
    @requires("editor")
    def publish() -> Response:
        identity = current_identity()
        made.append(identity.name)
        audit("probe_published", "flow", "probe", {"by": identity.kind})
        return json_response({"name": identity.name, "kind": identity.kind,
                              "author": identity.author})

    @bp.get("/probe/read")
    def read() -> Response:
        return json_response({"name": current_identity().name})

    @bp.get("/probe/admin")
    @requires("admin")
    def admin_only() -> Response:
        return json_response({})
    app.register_blueprint(bp, url_prefix="/api/v1")
    return made


@pytest.fixture
def app(auth_app):
    """Return an app with an admin, an editor and a viewer, and the probe routes."""
    app = auth_app("anna:admin", "ed:editor", "vic:viewer", toml=TOKENS_TOML)
    app.made = probe_routes(app)
    return app


def outside_client(app):
    """Return a test client whose requests come from another machine."""
    client = app.test_client()
    client.environ_base.update(OUTSIDE)
    return client


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def code_of(response) -> str:
    """Return an error envelope's code."""
    return response.get_json()["error"]["code"]


# --- roles ---------------------------------------------------------------------------------------

def test_a_viewer_reads_but_cannot_write(app, sign_in) -> None:
    client = app.test_client()
    csrf = sign_in(client, "vic")
    assert client.get("/api/v1/probe/read").get_json() == {"name": "vic"}
    assert client.get("/api/v1/flows").status_code == 200
    refused = client.post("/api/v1/probe/publish", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and code_of(refused) == "forbidden"
    assert "needs the editor role" in refused.get_json()["error"]["message"]
    assert app.made == [] and state_of(app).log.entries(action="probe_published") == []


def test_an_editor_writes_as_themselves_and_is_audited(app, sign_in) -> None:
    client = app.test_client()
    csrf = sign_in(client, "ed")
    response = client.post("/api/v1/probe/publish", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.get_json() == {"name": "ed", "kind": "user", "author": "Ed <ed@example.com>"}
    [entry] = state_of(app).log.entries(action="probe_published")
    assert (entry["actor"], entry["actor_kind"], entry["target_id"]) == ("ed", "user", "probe")
    assert entry["address"] == "127.0.0.1" and entry["detail"] == {"by": "user"}
    assert client.get("/api/v1/probe/admin").status_code == 403


def test_an_admin_may_do_everything(app, sign_in) -> None:
    client = app.test_client()
    csrf = sign_in(client, "anna")
    assert client.post("/api/v1/probe/publish", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/probe/admin").status_code == 200


def test_nobody_signed_in_is_refused_everywhere_but_the_public_routes(app) -> None:
    client = app.test_client()
    for path in ("/api/v1/blocks", "/api/v1/flows", "/api/v1/flows/reminder",
                 "/api/v1/probe/read", "/api/v1/users", "/api/v1/audit", "/api/v1/tokens",
                 "/api/v1/executions/x", "/api/v1/campaigns/x"):
        response = client.get(path)
        assert response.status_code == 401 and code_of(response) == "sign_in_required", path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    validate = client.post("/api/v1/flows/reminder/validate", data="{}")
    assert validate.status_code == 401
    for path in ("/api/v1/health", "/api/v1/openapi.json", "/api/v1", "/"):
        assert client.get(path).status_code == 200, path
    # answered in front of Flask, with no sign-in
    assert client.post("/api/v1/chat/reminder/messages", json={"text": "hi"}).status_code == 200


def test_a_chat_turn_costs_no_auth_work(app, monkeypatch) -> None:
    def looked_up(*_args, **_kwargs):
        raise AssertionError("a chat turn asked the auth stores")
    for name in ("any", "all", "get", "with_hash"):
        monkeypatch.setattr(state_of(app).users, name, looked_up)
    monkeypatch.setattr(state_of(app).sessions, "find", looked_up)
    monkeypatch.setattr(state_of(app).tokens, "find", looked_up)
    client = app.test_client()
    client.set_cookie("callwright_session", "whatever")
    response = client.post("/api/v1/chat/reminder/messages", json={"text": "hi"},
                           headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200


def test_validate_is_a_read_for_any_role_and_needs_no_csrf_token(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "vic")
    response = client.post("/api/v1/flows/reminder/validate", data="{}")
    assert response.status_code == 200 and response.get_json()["ok"] is False


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "not-the-token"},
                                     {"X-CSRF-Token": ""}])
def test_a_cookie_write_without_its_csrf_token_is_refused_and_changes_nothing(app, sign_in,
                                                                           headers) -> None:
    client = app.test_client()
    sign_in(client, "anna")
    response = client.post("/api/v1/probe/publish", headers=headers)
    assert response.status_code == 403 and code_of(response) == "csrf_failed"
    before = state_of(app).users.all()
    for method, path, body in (("post", "/api/v1/users", {"name": "mal", "role": "admin",
                                                          "password": "p" * 12}),
                               ("patch", "/api/v1/users/vic", {"role": "admin"}),
                               ("delete", "/api/v1/users/vic", None),
                               ("post", "/api/v1/tokens", {"name": "x", "role": "admin"})):
        answer = getattr(client, method)(path, json=body, headers=headers)
        assert answer.status_code == 403 and code_of(answer) == "csrf_failed", path
    assert app.made == [] and state_of(app).users.all() == before
    assert state_of(app).tokens.all() == []


def test_another_session_s_token_does_not_do(app, sign_in) -> None:
    first, second = app.test_client(), app.test_client()
    sign_in(first, "anna")
    other = sign_in(second, "ed")
    response = first.post("/api/v1/probe/publish", headers={"X-CSRF-Token": other})
    assert response.status_code == 403 and code_of(response) == "csrf_failed"


def test_bearer_token_writes_need_no_csrf_token(app) -> None:
    response = app.test_client().post("/api/v1/probe/publish", headers=bearer(SETTINGS_TOKEN))
    assert response.status_code == 200


# --- Bearer tokens ------------------------------------------------------------------------------

def test_a_token_of_settings_is_an_admin_token(app) -> None:
    client = app.test_client()
    response = client.post("/api/v1/probe/publish", headers=bearer(SETTINGS_TOKEN))
    assert response.get_json()["name"] == "api-token-1"
    assert response.get_json()["kind"] == "token"
    assert client.get("/api/v1/probe/admin", headers=bearer(SETTINGS_TOKEN)).status_code == 200


def test_a_token_of_the_table_has_its_role(app) -> None:
    tokens = state_of(app).tokens
    _, viewer = tokens.add("dashboard", "viewer")
    _, editor = tokens.add("ci", "editor")
    client = outside_client(app)
    assert client.get("/api/v1/probe/read", headers=bearer(viewer)).get_json() == {
        "name": "dashboard"}
    refused = client.post("/api/v1/probe/publish", headers=bearer(viewer))
    assert refused.status_code == 403 and code_of(refused) == "forbidden"
    assert app.made == []
    assert client.post("/api/v1/probe/publish", headers=bearer(editor)).status_code == 200
    assert client.get("/api/v1/probe/admin", headers=bearer(editor)).status_code == 403
    assert tokens.all()[1].last_used_at is not None


def test_a_token_without_the_editor_role_cannot_start_a_flow(app) -> None:
    _, viewer = state_of(app).tokens.add("dashboard", "viewer")
    client = outside_client(app)
    response = client.post("/api/v1/flows/reminder/executions", headers=bearer(viewer),
                           json={"channel": "chat", "to": "v-1"})
    assert response.status_code == 403 and code_of(response) == "forbidden"


@pytest.mark.parametrize("header", ["Bearer cw_0123456789abcdef_" + "x" * 43, "Bearer nope",
                                    "Basic abc", "Bearer "])
def test_a_wrong_token_is_unauthorized_even_on_a_public_route(app, header) -> None:
    response = app.test_client().get("/api/v1/session", headers={"Authorization": header})
    assert response.status_code == 401 and code_of(response) == "unauthorized"


def test_a_removed_token_stops_working_at_once(app) -> None:
    made, text = state_of(app).tokens.add("ci", "editor")
    client = app.test_client()
    assert client.get("/api/v1/probe/read", headers=bearer(text)).status_code == 200
    state_of(app).tokens.remove(made.id)
    assert client.get("/api/v1/probe/read", headers=bearer(text)).status_code == 401


def test_with_no_users_and_no_tokens_there_is_no_way_in_from_outside(auth_app) -> None:
    app = auth_app()
    response = outside_client(app).get("/api/v1/flows")
    assert response.status_code == 403 and code_of(response) == "api_tokens_not_configured"
    message = response.get_json()["error"]["message"]
    assert "callwright user add" in message and "[api] tokens" in message


# --- local mode ---------------------------------------------------------------------------------

def local_csrf(client) -> str:
    """Return the local admin's CSRF token from GET /session."""
    body = client.get("/api/v1/session").get_json()
    assert body["local_mode"] is True and body["user"]["role"] == "admin"
    return body["csrf_token"]


def test_without_users_a_request_from_this_machine_is_the_local_admin(auth_app) -> None:
    app = auth_app()
    made = probe_routes(app)
    client = app.test_client()
    csrf = local_csrf(client)
    assert client.get("/api/v1/probe/admin").status_code == 200
    response = client.post("/api/v1/probe/publish", headers={"X-CSRF-Token": csrf})
    assert response.get_json() == {"name": "local", "kind": "local", "author": "Local admin"}
    assert made == ["local"]
    assert state_of(app).log.entries()[0]["actor_kind"] == "local"


def test_the_local_admin_s_writes_still_need_the_csrf_token(auth_app) -> None:
    app = auth_app()
    made = probe_routes(app)
    response = app.test_client().post("/api/v1/probe/publish")
    assert response.status_code == 403 and code_of(response) == "csrf_failed"
    assert made == []


@pytest.mark.parametrize("environ, headers", [
    (OUTSIDE, {}),  # another machine
    ({}, {"Host": "attacker.example:8080"}),  # a page whose name points here (DNS rebinding)
    ({}, {"X-Forwarded-For": "203.0.113.9"}),  # a proxy on this machine passing others on
])
def test_local_mode_is_for_this_machine_s_own_requests_only(auth_app, environ, headers) -> None:
    app = auth_app()
    response = app.test_client().get("/api/v1/flows", environ_base=environ, headers=headers)
    assert response.status_code == 403 and code_of(response) == "api_tokens_not_configured"


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "localhost"])
def test_local_mode_answers_this_machine_s_names(auth_app, host) -> None:
    app = auth_app()
    assert app.test_client().get("/api/v1/flows", headers={"Host": host}).status_code == 200


def test_local_mode_needs_a_server_bound_to_loopback(auth_app) -> None:
    app = auth_app(toml='[server]\nhost = "0.0.0.0"\n')
    response = app.test_client().get("/api/v1/flows")
    assert response.status_code == 403 and code_of(response) == "api_tokens_not_configured"


def test_one_user_makes_sign_in_required_everywhere(auth_app) -> None:
    app = auth_app()
    client = app.test_client()
    assert client.get("/api/v1/flows").status_code == 200
    state_of(app).users.add("anna", "admin", "pw-of-anna-0123")
    response = client.get("/api/v1/flows")
    assert response.status_code == 401 and code_of(response) == "sign_in_required"
    assert client.get("/api/v1/session").status_code == 401


def test_the_local_admin_s_language_is_kept_in_the_browser(auth_app) -> None:
    app = auth_app()
    client = app.test_client()
    csrf = local_csrf(client)
    response = client.patch("/api/v1/session", json={"language": "ru"},
                            headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.get_json()["user"]["language"] == "ru"
    assert client.get("/api/v1/session").get_json()["user"]["language"] == "ru"
    assert app.test_client().get("/api/v1/session").get_json()["user"]["language"] == "en"


def test_serve_s_local_token_is_every_worker_s(auth_app, monkeypatch) -> None:
    monkeypatch.setenv("CALLWRIGHT_LOCAL_CSRF_TOKEN", "one-token-for-every-worker")
    first, second = auth_app(), auth_app()
    assert local_csrf(first.test_client()) == local_csrf(second.test_client())
    assert local_csrf(first.test_client()) == "one-token-for-every-worker"


def test_requires_refuses_a_role_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        requires("owner")
