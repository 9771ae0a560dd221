"""GET, POST, DELETE and PATCH /api/v1/session: signing in and out of the editor."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from builder.auth.state import state_of

OUTSIDE = {"REMOTE_ADDR": "192.0.2.7"}
PASSWORD = "pw-of-anna-0123"  # conftest's password_of("anna")


@pytest.fixture
def app(auth_app):
    """Return an app with an admin, anna, and a viewer, vic."""
    return auth_app("anna:admin", "vic:viewer")


def error_code(response) -> str:
    """Return the code of an error envelope."""
    return response.get_json()["error"]["code"]


def set_cookie(response) -> str:
    """Return the Set-Cookie header of the session cookie."""
    cookies = [value for value in response.headers.getlist("Set-Cookie")
               if value.startswith("callwright_session=")]
    assert len(cookies) == 1
    return cookies[0]


def audit_actions(app) -> list[tuple[str, str, str]]:
    """Return (actor, actor_kind, action) of every audit entry, oldest first."""
    return [(e["actor"], e["actor_kind"], e["action"])
            for e in reversed(state_of(app).log.entries())]


def test_nobody_is_signed_in_at_first(app) -> None:
    response = app.test_client().get("/api/v1/session")
    assert response.status_code == 401
    assert error_code(response) == "sign_in_required"


def test_signing_in_answers_who_with_a_csrf_token_and_sets_a_strict_cookie(app) -> None:
    client = app.test_client()
    response = client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"name": "anna", "role": "admin", "display_name": "Anna",
                            "language": "en"}
    assert body["local_mode"] is False and len(body["csrf_token"]) >= 32
    cookie = set_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http from a client that is no proxy
    assert client.get("/api/v1/session").get_json() == body


def test_the_cookie_holds_a_random_id_and_the_database_only_its_hash(app) -> None:
    response = app.test_client().post("/api/v1/session",
                                      json={"name": "anna", "password": PASSWORD})
    session_id = set_cookie(response).split(";")[0].partition("=")[2]
    engine = state_of(app).users.engine
    from sqlalchemy import select

    from runtime.records.schema import web_sessions
    with engine.connect() as conn:
        stored = [row.id_hash for row in conn.execute(select(web_sessions))]
    assert len(stored) == 1 and session_id not in stored[0] and len(stored[0]) == 64


def test_over_tls_the_cookie_is_secure(app) -> None:
    response = app.test_client().post("/api/v1/session", base_url="https://localhost",
                                      json={"name": "anna", "password": PASSWORD})
    assert "Secure" in set_cookie(response)


def test_a_trusted_proxy_s_forwarded_proto_makes_the_cookie_secure(auth_app) -> None:
    app = auth_app("anna:admin", toml='[server]\ntrusted_proxies = ["10.0.0.0/8"]\n')
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    through_proxy = client.post("/api/v1/session", headers=headers,
                                environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                json={"name": "anna", "password": PASSWORD})
    assert "Secure" in set_cookie(through_proxy)
    entry = state_of(app).log.entries(action="sign_in")[0]
    assert entry["address"] == "198.51.100.4"  # the client behind the proxy
    garbage = client.post("/api/v1/session", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                          headers={"X-Forwarded-For": "not an address\x00"},
                          json={"name": "anna", "password": PASSWORD})
    assert garbage.status_code == 200
    assert state_of(app).log.entries(action="sign_in")[0]["address"] == "10.1.2.3"
    not_a_proxy = client.post("/api/v1/session", headers=headers, environ_base=OUTSIDE,
                              json={"name": "anna", "password": PASSWORD})
    assert "Secure" not in set_cookie(not_a_proxy)
    assert state_of(app).log.entries(action="sign_in")[0]["address"] == "192.0.2.7"


def test_names_are_signed_in_whatever_their_case(app) -> None:
    response = app.test_client().post("/api/v1/session",
                                      json={"name": " Anna", "password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "anna"


@pytest.mark.parametrize("name, password", [("anna", "wrong-password"), ("nobody", PASSWORD)])
def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(app, name, password) -> None:
    response = app.test_client().post("/api/v1/session", json={"name": name, "password": password})
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "invalid_credentials", "details": [],
                                             "message": "the name or the password is wrong"}}
    assert "Set-Cookie" not in response.headers


def test_an_unknown_name_takes_about_as_long_as_a_wrong_password(app) -> None:
    client = app.test_client()

    def timed(name: str) -> float:
        start = time.perf_counter()
        client.post("/api/v1/session", json={"name": name, "password": "not-it-0123"},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{len(name)}"})
        return time.perf_counter() - start
    known = statistics.median(timed("anna") for _ in range(3))
    unknown = statistics.median(timed("nobody") for _ in range(3))
    assert unknown > known / 2  # a hash checked either way (skipping it would be ~100x faster)


@pytest.mark.parametrize("body, pointer", [
    ({"name": "anna"}, "/password"), ({"password": "x"}, "/name"),
    ({"name": 1, "password": "x"}, "/name"), ({"name": "a", "password": "x", "remember": 1},
                                              "/remember"), ([], ""),
])
def test_a_malformed_sign_in_is_a_400(app, body, pointer) -> None:
    response = app.test_client().post("/api/v1/session", json=body)
    assert response.status_code == 400
    assert pointer in [d["pointer"] for d in response.get_json()["error"]["details"]]


def test_sign_ins_good_and_bad_are_audited(app) -> None:
    client = app.test_client()
    client.post("/api/v1/session", json={"name": "anna", "password": "wrong-password"})
    client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD})
    assert audit_actions(app) == [("anna", "anonymous", "sign_in_failed"),
                                  ("anna", "user", "sign_in")]
    assert state_of(app).log.entries()[0]["address"] == "127.0.0.1"


def test_signing_out_ends_the_session_on_the_server_and_clears_the_cookie(app, sign_in) -> None:
    client = app.test_client()
    csrf = sign_in(client, "anna")
    stolen = client.get_cookie("callwright_session").value
    response = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert "callwright_session=;" in response.headers["Set-Cookie"]
    assert client.get("/api/v1/session").status_code == 401
    other = app.test_client()  # the old cookie is worth nothing now
    other.set_cookie("callwright_session", stolen)
    assert other.get("/api/v1/session").status_code == 401
    assert audit_actions(app)[-1] == ("anna", "user", "sign_out")


def test_signing_in_again_ends_the_browser_s_previous_session(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "vic")
    before = client.get_cookie("callwright_session").value
    sign_in(client, "anna")
    assert client.get("/api/v1/session").get_json()["user"]["name"] == "anna"
    old = app.test_client()
    old.set_cookie("callwright_session", before)
    assert old.get("/api/v1/session").status_code == 401


def test_signing_out_needs_the_csrf_token(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "anna")
    response = client.delete("/api/v1/session")
    assert response.status_code == 403 and error_code(response) == "csrf_failed"
    assert client.get("/api/v1/session").status_code == 200


def test_a_session_that_ran_out_is_signed_out(app, sign_in) -> None:
    client = app.test_client()
    sign_in(client, "anna")
    state_of(app).sessions.ttl_s = 0.0  # from now on a session expires as it is used
    engine = state_of(app).users.engine
    from runtime.records.schema import web_sessions
    with engine.begin() as conn:
        conn.execute(web_sessions.update().values(expires_at=time.time() - 1))
    assert client.get("/api/v1/session").status_code == 401


def test_a_user_sets_their_language(app, sign_in) -> None:
    client = app.test_client()
    csrf = sign_in(client, "vic")
    response = client.patch("/api/v1/session", json={"language": "ru"},
                            headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.get_json()["user"]["language"] == "ru"
    assert state_of(app).users.get("vic").language == "ru"
    again = app.test_client()
    assert again.post("/api/v1/session", json={"name": "vic", "password": "pw-of-vic-0123"}
                      ).get_json()["user"]["language"] == "ru"


@pytest.mark.parametrize("body", [{"language": "de"}, {}, {"language": "en", "x": 1}, "en"])
def test_a_language_that_is_not_offered_is_a_400(app, sign_in, body) -> None:
    client = app.test_client()
    csrf = sign_in(client, "vic")
    response = client.patch("/api/v1/session", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400


def test_failed_sign_ins_are_limited_per_user_and_address(app) -> None:
    client = app.test_client()
    for _ in range(5):
        assert client.post("/api/v1/session", json={"name": "anna", "password": "bad-password"}
                           ).status_code == 401
    refused = client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD})
    assert refused.status_code == 429 and error_code(refused) == "too_many_attempts"
    assert 850 <= int(refused.headers["Retry-After"]) <= 900
    # the same name from another address, and another name from this one, may still try
    assert client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD},
                       environ_base=OUTSIDE).status_code == 200
    assert client.post("/api/v1/session", json={"name": "vic", "password": "pw-of-vic-0123"}
                       ).status_code == 200


def test_a_success_clears_the_count_of_its_user_and_address(app) -> None:
    client = app.test_client()
    for _ in range(4):
        client.post("/api/v1/session", json={"name": "anna", "password": "bad-password"})
    assert client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD}
                       ).status_code == 200
    for _ in range(4):
        assert client.post("/api/v1/session", json={"name": "anna", "password": "bad-password"}
                           ).status_code == 401
    assert client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD}
                       ).status_code == 200


def test_sign_ins_made_at_once_cannot_pass_the_limit_together(app) -> None:
    # each password check takes argon2's time: attempts sent together must not all be checked
    # before the first of them is counted
    attempts = 10
    ready = threading.Barrier(attempts)

    def attempt(_: int) -> int:
        client = app.test_client()
        ready.wait(timeout=30)
        return client.post("/api/v1/session",
                           json={"name": "anna", "password": "bad-password"}).status_code
    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert sorted(statuses) == [401] * 5 + [429] * 5
    assert [action for *_, action in audit_actions(app)].count("sign_in_failed") == 5
    refused = app.test_client().post("/api/v1/session", json={"name": "anna",
                                                              "password": PASSWORD})
    assert refused.status_code == 429


def test_a_success_leaves_the_address_s_count_as_it_was(app) -> None:
    client = app.test_client()
    for _ in range(25):  # more than the address's limit of failures, all of them good
        assert client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD}
                           ).status_code == 200


def during_the_password_check(monkeypatch, change) -> None:
    """Make `change()` happen while sign-in checks a password (after the hash was read)."""
    from builder.api import session as session_api
    check = session_api.verify_password

    def checked_then_changed(stored_hash: str, password: str) -> bool:
        matches = check(stored_hash, password)
        change()
        return matches
    monkeypatch.setattr(session_api, "verify_password", checked_then_changed)


def vic_sessions(app) -> int:
    """Return how many browser sessions the records database holds for vic's id."""
    from sqlalchemy import func, select

    from runtime.records.schema import web_sessions
    with state_of(app).users.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(web_sessions)
                            .where(web_sessions.c.user_id == app.vic_id)).scalar_one()


def test_a_password_changed_during_a_sign_in_leaves_it_no_session(app, monkeypatch) -> None:
    state = state_of(app)
    app.vic_id = state.users.get("vic").id

    def admin_sets_a_new_password() -> None:  # what PATCH /users/vic does
        state.users.update("vic", password="new-password-9")
        state.sessions.close_all(app.vic_id)
    during_the_password_check(monkeypatch, admin_sets_a_new_password)
    client = app.test_client()
    response = client.post("/api/v1/session", json={"name": "vic", "password": "pw-of-vic-0123"})
    assert response.status_code == 401 and error_code(response) == "invalid_credentials"
    assert client.get("/api/v1/session").status_code == 401
    assert vic_sessions(app) == 0


def test_a_user_removed_during_a_sign_in_leaves_it_no_session(app, monkeypatch) -> None:
    state = state_of(app)
    app.vic_id = state.users.get("vic").id
    during_the_password_check(monkeypatch, lambda: state.users.remove("vic"))
    response = app.test_client().post("/api/v1/session",
                                      json={"name": "vic", "password": "pw-of-vic-0123"})
    assert response.status_code == 401 and error_code(response) == "invalid_credentials"
    assert vic_sessions(app) == 0  # none left for a later user given the same id


def test_a_stronger_hash_never_undoes_a_password_changed_meanwhile(app, monkeypatch) -> None:
    from builder.api import session as session_api
    state = state_of(app)
    monkeypatch.setattr(session_api, "needs_rehash", lambda stored_hash: True)
    during_the_password_check(monkeypatch,
                              lambda: state.users.update("vic", password="new-password-9"))
    app.test_client().post("/api/v1/session", json={"name": "vic", "password": "pw-of-vic-0123"})
    monkeypatch.undo()
    assert app.test_client().post("/api/v1/session", json={
        "name": "vic", "password": "new-password-9"}).status_code == 200


def test_an_address_trying_many_names_is_limited(app) -> None:
    client = app.test_client()
    for index in range(20):
        assert client.post("/api/v1/session", json={"name": f"guess{index}", "password": "x"}
                           ).status_code == 401
    refused = client.post("/api/v1/session", json={"name": "anna", "password": PASSWORD})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_the_limit_is_counted_in_the_database_so_every_worker_agrees(auth_app) -> None:
    first = auth_app("anna:admin")
    from builder.app import create_app
    second = create_app(state_of(first).runtime.workspace.root, {"TESTING": True})
    try:
        for _ in range(3):
            first.test_client().post("/api/v1/session", json={"name": "anna", "password": "no"})
        for _ in range(2):
            second.test_client().post("/api/v1/session", json={"name": "anna", "password": "no"})
        assert first.test_client().post("/api/v1/session", json={
            "name": "anna", "password": PASSWORD}).status_code == 429
    finally:
        second.extensions["callwright.runtime"].close()


def test_a_name_no_user_can_have_is_just_wrong(app) -> None:
    response = app.test_client().post("/api/v1/session",
                                      json={"name": "an\u0000na", "password": PASSWORD})
    assert response.status_code == 401 and error_code(response) == "invalid_credentials"
