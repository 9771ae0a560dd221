"""/api/v1/contacts: find by identity or session, read, timeline, merge (editor), erase (admin)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from builder.auth.state import state_of

PHONE = "+4915112345678"
TOKEN = "contacts-admin-token-0123456789abcdef"


@pytest.fixture
def app(workspace_app, reminder_flow):
    """Return an app over a workspace with the reminder flow (its sms numbers read in DE)."""
    return workspace_app(reminder_flow, toml=f'[sms]\ndefault_region = "DE"\n'
                                             f'[api]\ntokens = ["{TOKEN}"]\n')


@pytest.fixture
def client(app):
    """Return a test client that sends the admin token, as a script would."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


@pytest.fixture
def store(app):
    """Return the app's contact store."""
    return app.extensions["callwright.runtime"].contacts.store


def met(store, kind: str, value: str, session: str, text: str = "hello") -> str:
    """Return a contact holding an identity, with one message of a session on its timeline."""
    contact = store.open(kind, value)
    store.record(contact, [{"at": 100.0, "channel": "sms", "kind": "message", "direction": "in",
                            "session": session, "flow": "support", "text": text}])
    return contact


def test_a_contact_is_found_by_any_written_form_of_its_identity(client, store):
    contact = met(store, "phone", PHONE, "s1")
    for query in ("phone:0151 12345678", "%2B4915112345678", "phone:%2B49 151 1234 5678"):
        found = client.get(f"/api/v1/contacts?identity={query}").get_json()["contacts"]
        assert [c["contact"] for c in found] == [contact], query
    assert client.get("/api/v1/contacts?identity=email:nobody@example.org").get_json() == {
        "contacts": []}


def test_a_contact_is_found_by_a_session_it_was_in(client, store):
    contact = met(store, "email", "ada@example.org", "s1")
    found = client.get("/api/v1/contacts?session=s1").get_json()["contacts"]
    assert found[0]["contact"] == contact
    assert found[0]["identities"] == [{"kind": "email", "value": "ada@example.org"}]


@pytest.mark.parametrize("query, says", [
    ("", "give one query parameter"),
    ("?identity=phone:x&session=s", "give one query parameter"),
    ("?identity=phone:12", "not a"),
    ("?identity=email:no-at-sign", "not an e-mail address"),
    ("?identity=fax:123", "not a"),
])
def test_a_bad_query_is_a_400_that_says_what_is_wrong(client, query, says):
    response = client.get(f"/api/v1/contacts{query}")
    assert response.status_code == 400
    assert says in response.get_json()["error"]["message"]


def test_the_timeline_pages_newest_first(client, store):
    contact = met(store, "phone", PHONE, "s1", "first")
    met(store, "phone", PHONE, "s2", "second")
    page = client.get(f"/api/v1/contacts/{contact}/timeline?limit=1").get_json()
    assert [e["text"] for e in page["entries"]] == ["second"]
    rest = client.get(f"/api/v1/contacts/{contact}/timeline?before={page['entries'][0]['id']}")
    assert [e["text"] for e in rest.get_json()["entries"]] == ["first"]
    assert client.get(f"/api/v1/contacts/{contact}/timeline?before=x").status_code == 400


def test_an_unknown_contact_is_a_404(client):
    for path in ("/api/v1/contacts/" + "0" * 32, "/api/v1/contacts/nope/timeline"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "contact_not_found"


def test_a_merge_moves_the_other_contact_in_and_its_id_then_points_to_the_one_kept(client, store,
                                                                                    app):
    keep = met(store, "phone", PHONE, "s1")
    other = met(store, "email", "ada@example.org", "s2")
    response = client.post(f"/api/v1/contacts/{keep}/merge", json={"contact": other})
    assert response.status_code == 200
    kinds = {i["kind"] for i in response.get_json()["identities"]}
    assert kinds == {"phone", "email"}
    moved = client.get(f"/api/v1/contacts/{other}")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/api/v1/contacts/{keep}")
    assert moved.get_json()["error"]["details"] == [keep]
    timeline = client.get(f"/api/v1/contacts/{other}/timeline")
    assert timeline.status_code == 301 and timeline.headers["Location"].endswith("/timeline")
    entry = state_of(app).log.entries(action="contact_merged")[0]
    assert (entry["target_id"], entry["detail"]) == (keep, {"merged": other})


@pytest.mark.parametrize("body, pointer", [
    ({}, "/contact"), ({"contact": 5}, "/contact"), ({"contact": "x"}, "/contact"),
    ({"contact": "0" * 32, "extra": 1}, "/extra"), ([], ""),
])
def test_a_bad_merge_request_names_the_field_and_changes_nothing(client, store, body, pointer):
    keep = met(store, "phone", PHONE, "s1")
    response = client.post(f"/api/v1/contacts/{keep}/merge", json=body)
    assert response.status_code == 400
    assert pointer in [d["pointer"] for d in response.get_json()["error"]["details"]]
    assert client.get(f"/api/v1/contacts/{keep}").get_json()["identities"] == [
        {"kind": "phone", "value": PHONE}]


def test_merging_a_contact_into_itself_or_a_merged_away_one_is_refused(client, store):
    keep = met(store, "phone", PHONE, "s1")
    other = met(store, "email", "ada@example.org", "s2")
    assert client.post(f"/api/v1/contacts/{keep}/merge", json={"contact": keep}).status_code \
        == 400
    client.post(f"/api/v1/contacts/{keep}/merge", json={"contact": other})
    again = client.post(f"/api/v1/contacts/{keep}/merge", json={"contact": other})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "contact_merged"
    missing = client.post(f"/api/v1/contacts/{keep}/merge", json={"contact": "0" * 32})
    assert missing.status_code == 404


def test_erasure_removes_the_contact_and_is_audited(client, store, app):
    contact = met(store, "phone", PHONE, "s1")
    response = client.delete(f"/api/v1/contacts/{contact}")
    assert response.status_code == 200
    assert response.get_json() == {"contact": contact, "erased": True, "sessions": 1, "steps": 0,
                                   "recordings": 0}
    assert client.get(f"/api/v1/contacts/{contact}").status_code == 404
    assert client.get(f"/api/v1/contacts?identity={PHONE.replace('+', '%2B')}").get_json() == {
        "contacts": []}
    entry = state_of(app).log.entries(action="contact_erased")[0]
    assert entry["target_id"] == contact and entry["detail"]["sessions"] == 1


def test_viewers_read_editors_merge_and_only_admins_erase(auth_app, sign_in):
    app = auth_app("ann:viewer", "ed:editor", "ada:admin")
    store = app.extensions["callwright.runtime"].contacts.store
    keep, other = met(store, "phone", PHONE, "s1"), met(store, "chat", "visitor-1", "s2")
    assert app.test_client().get(f"/api/v1/contacts/{keep}").status_code == 401
    rights = {}
    for name in ("ann", "ed", "ada"):
        client = app.test_client()
        csrf = {"X-CSRF-Token": sign_in(client, name)}
        rights[name] = (
            client.get(f"/api/v1/contacts/{keep}").status_code,
            client.post(f"/api/v1/contacts/{keep}/merge", headers=csrf,
                        json={"contact": "f" * 32}).status_code,
            client.delete(f"/api/v1/contacts/{'f' * 32}", headers=csrf).status_code)
    # 404: allowed, and the contact named does not exist
    assert rights == {"ann": (200, 403, 403), "ed": (200, 404, 403), "ada": (200, 404, 404)}
    assert store.get(other)["merged_into"] is None


def test_the_answers_match_the_documented_schemas(client, store):
    spec = client.get("/api/v1/openapi.json").get_json()
    keep = met(store, "phone", PHONE, "s1")
    other = met(store, "chat", "visitor-1", "s2")
    answers = (
        ("ContactList", client.get("/api/v1/contacts?session=s1").get_json()),
        ("Contact", client.get(f"/api/v1/contacts/{keep}").get_json()),
        ("ContactTimeline", client.get(f"/api/v1/contacts/{keep}/timeline").get_json()),
        ("Contact", client.post(f"/api/v1/contacts/{keep}/merge",
                                json={"contact": other}).get_json()),
        ("Error", client.get(f"/api/v1/contacts/{other}").get_json()),
        ("ContactErased", client.delete(f"/api/v1/contacts/{keep}").get_json()))
    for name, body in answers:
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        assert list(Draft202012Validator(schema).iter_errors(body)) == [], name


def test_erasing_a_chat_visitor_removes_their_sessions_and_execution_steps(app, client):
    runtime = app.extensions["callwright.runtime"]
    first = runtime.chat_turn("reminder", None, "hi", sender="visitor-1")
    runtime.chat_turn("reminder", first["session"], "1")
    session_id = first["session"]
    assert runtime.executions.steps(session_id) != []
    found = client.get(f"/api/v1/contacts?session={session_id}").get_json()["contacts"]
    contact = found[0]["contact"]
    erased = client.delete(f"/api/v1/contacts/{contact}").get_json()
    assert erased["sessions"] == 1 and erased["steps"] >= 2
    assert runtime.executions.steps(session_id) == []
    assert runtime.sessions.get(session_id) is None
    assert client.get(f"/api/v1/executions/{session_id}").status_code == 404
    assert client.get(f"/api/v1/contacts?session={session_id}").get_json() == {"contacts": []}
