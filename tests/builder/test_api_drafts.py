"""Drafts over HTTP: start, read, save (ETag/If-Match), discard, delete, rename, duplicate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_browser import Browser, conforms, local_browser, signed_in

from builder.auth.state import state_of

HELLO = {"schema": "callwright/flow@1", "id": "hello", "name": "Hello", "start": "hi",
         "blocks": {"hi": {"type": "say", "config": {"text": "Hi."}, "exits": {"next": "bye"}},
                    "bye": {"type": "end", "config": {}}}}


@pytest.fixture
def app(workspace_app):
    """Return an app over a workspace holding the `hello` flow, routed for web chat."""
    return workspace_app(HELLO)


@pytest.fixture
def local(app) -> Browser:
    return local_browser(app)


@pytest.fixture
def sign_in(app):
    """Return sign_in(name, role): a browser signed in as a new user with that role."""
    return lambda name="ann", role="editor": signed_in(app, name, role)


def etag_of(response: Any) -> str:
    return response.headers["ETag"].strip('"')


def test_a_new_flow_is_a_draft_listed_beside_the_published_ones(local):
    created = local.send("POST", "/flows", {"id": "support", "name": "Support line"})
    assert created.status_code == 201 and conforms("FlowCreated", created.get_json()) == []
    etag = created.get_json()["etag"]
    assert etag_of(created) == etag
    listing = local.get("/flows").get_json()
    assert conforms("FlowList", listing) == []
    by_id = {flow["id"]: flow for flow in listing["flows"]}
    assert by_id["support"]["live"] is None and by_id["support"]["draft"]["etag"] == etag
    assert by_id["support"]["name"] == "Support line"
    assert by_id["hello"]["live"]["number"] == 1 and by_id["hello"]["draft"] is None
    draft = local.get("/flows/support/draft")
    assert etag_of(draft) == etag and draft.get_json()["start"] == "end"


def test_a_new_flow_needs_a_free_well_formed_id(local):
    taken = local.send("POST", "/flows", {"id": "hello"})
    assert (taken.status_code, taken.get_json()["error"]["code"]) == (409, "flow_exists")
    bad = local.send("POST", "/flows", {"id": "1st line"})
    assert bad.status_code == 400 and bad.get_json()["error"]["details"][0]["pointer"] == "/id"
    odd = local.send("POST", "/flows", {"id": "x", "colour": "red"})
    assert odd.status_code == 400 and odd.get_json()["error"]["details"][0]["pointer"] == "/colour"


def test_a_draft_is_saved_over_the_copy_it_was_made_on(local):
    read = local.get("/flows/hello/draft")
    assert read.get_json() == HELLO
    sent = json.dumps({**HELLO, "start": "nowhere"}).encode()  # invalid, saved all the same
    saved = local.send("PUT", "/flows/hello/draft", data=sent, etag=etag_of(read))
    assert saved.status_code == 200 and conforms("DraftSaved", saved.get_json()) == []
    again = local.get("/flows/hello/draft")
    assert again.data == sent and etag_of(again) == saved.get_json()["etag"] == etag_of(saved)
    assert local.get("/flows/hello").get_json() == HELLO  # the live flow is untouched


def test_a_save_over_a_stale_copy_is_a_409_and_changes_nothing(local):
    base = etag_of(local.get("/flows/hello/draft"))
    mine = local.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Mine"}, etag=base)
    theirs = local.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Theirs"}, etag=base)
    assert theirs.status_code == 409
    error = theirs.get_json()["error"]
    assert error["code"] == "version_mismatch"
    assert error["details"][0]["etag"] == mine.get_json()["etag"]
    assert local.get("/flows/hello/draft").get_json()["name"] == "Mine"


def test_an_empty_etag_in_if_match_names_no_copy(local):
    # werkzeug parses `""` as None: it must be a 409 like any other stale tag, never a 500
    mine = {**HELLO, "name": "Mine"}
    local.send("PUT", "/flows/hello/draft", mine, etag=etag_of(local.get("/flows/hello/draft")))
    for header in ('""', '"", W/"x"', 'W/""', '"a", ""'):
        headers = {"X-CSRF-Token": local.csrf, "If-Match": header}
        saved = local.client.put("/api/v1/flows/hello/draft", json={**HELLO, "name": "Blind"},
                                 headers=headers)
        published = local.client.post("/api/v1/flows/hello/publish", headers=headers)
        discarded = local.client.delete("/api/v1/flows/hello/draft", headers=headers)
        for answer in (saved, published, discarded):
            assert (answer.status_code, answer.get_json()["error"]["code"]) == (
                409, "version_mismatch"), header
    assert local.get("/flows/hello/draft").get_json() == mine


def test_a_save_without_if_match_over_an_existing_flow_is_a_428(local):
    answer = local.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Blind"})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (428,
                                                                        "precondition_required")
    assert local.get("/flows/hello/draft").get_json() == HELLO


def test_a_draft_must_be_a_json_object_of_its_flow(local):
    etag = etag_of(local.get("/flows/hello/draft"))
    for body, pointer in (([1], ""), ({**HELLO, "id": "other"}, "/id")):
        answer = local.send("PUT", "/flows/hello/draft", body, etag=etag)
        assert answer.status_code == 400
        assert answer.get_json()["error"]["details"][0]["pointer"] == pointer
    broken = local.send("PUT", "/flows/hello/draft", data=b'{"id": "hello",', etag=etag)
    assert broken.status_code == 400
    missing = local.send("PUT", "/flows/ghost/draft", {"id": "ghost"}, etag="*")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "flow_not_found")


def test_discarding_a_draft_brings_back_the_published_file(local):
    etag = etag_of(local.get("/flows/hello/draft"))
    local.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Draft"}, etag=etag)
    assert local.send("DELETE", "/flows/hello/draft").status_code == 204
    assert etag_of(local.get("/flows/hello/draft")) == etag
    gone = local.send("DELETE", "/flows/hello/draft")
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (404, "draft_not_found")


def test_delete_removes_the_flow_but_not_while_a_route_names_it(workspace_app):
    routes = {"schema": "callwright/routes@1", "chat": {"web": "hello"}}
    app = workspace_app(HELLO, {**HELLO, "id": "spare"}, routes=routes)
    client = app.test_client()
    browser = Browser(client, client.get("/api/v1/session").get_json()["csrf_token"])
    refused = browser.send("DELETE", "/flows/hello")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "flow_in_use")
    assert refused.get_json()["error"]["details"][0]["pointer"] == "/chat/web"
    assert browser.send("DELETE", "/flows/spare").status_code == 204
    assert browser.get("/flows/spare").status_code == 404
    assert [f["id"] for f in browser.get("/flows").get_json()["flows"]] == ["hello"]
    assert browser.send("DELETE", "/flows/spare").status_code == 404


def test_rename_and_duplicate(local):
    copied = local.send("POST", "/flows/hello/duplicate", {"id": "hello2", "name": "Second"})
    assert copied.status_code == 201 and copied.get_json()["id"] == "hello2"
    assert local.get("/flows/hello2/draft").get_json()["name"] == "Second"
    renamed = local.send("POST", "/flows/hello/rename", {"id": "greeting"})
    assert (renamed.status_code, renamed.get_json()) == (200, {"id": "greeting"})
    assert local.get("/flows/greeting").get_json()["id"] == "greeting"
    assert local.get("/flows/hello").status_code == 404
    taken = local.send("POST", "/flows/greeting/rename", {"id": "hello2"})
    assert (taken.status_code, taken.get_json()["error"]["code"]) == (409, "flow_exists")


def test_a_viewer_reads_drafts_but_cannot_change_them(app, sign_in):
    viewer = sign_in("vic", "viewer")
    nobody = app.test_client().get("/api/v1/flows/hello/draft")  # users exist: sign in first
    assert (nobody.status_code, nobody.get_json()["error"]["code"]) == (401, "sign_in_required")
    read = viewer.get("/flows/hello/draft")
    assert read.status_code == 200
    for method, path, body in (("PUT", "/flows/hello/draft", HELLO),
                               ("POST", "/flows", {"id": "x"}),
                               ("DELETE", "/flows/hello", None),
                               ("POST", "/flows/hello/rename", {"id": "y"})):
        answer = viewer.send(method, path, body, etag=etag_of(read))
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "forbidden")
    assert viewer.get("/flows/hello/draft").get_json() == HELLO


def test_a_save_made_by_cookie_needs_the_csrf_token(sign_in):
    editor = sign_in("ann", "editor")
    etag = etag_of(editor.get("/flows/hello/draft"))
    forged = Browser(editor.client, "not-the-token")
    answer = forged.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Forged"}, etag=etag)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "csrf_failed")
    assert editor.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Mine"},
                       etag=etag).status_code == 200


def test_every_change_is_in_the_audit_log_with_who_made_it(app, sign_in):
    editor = sign_in("ann", "editor")
    etag = etag_of(editor.get("/flows/hello/draft"))
    saved = editor.send("PUT", "/flows/hello/draft", {**HELLO, "name": "Audited"}, etag=etag)
    editor.send("POST", "/flows", {"id": "fresh"})
    editor.send("POST", "/flows/fresh/duplicate", {"id": "fresh2"})
    editor.send("DELETE", "/flows/fresh2")
    entries = state_of(app).log.entries(target=None)
    mine = [(e["actor"], e["action"], e["target_id"]) for e in entries
            if e["action"].startswith("flow_")]
    assert mine == [("ann", "flow_deleted", "fresh2"), ("ann", "flow_duplicated", "fresh2"),
                    ("ann", "flow_created", "fresh"), ("ann", "flow_saved", "hello")]
    [entry] = [e for e in entries if e["action"] == "flow_saved"]
    assert entry["detail"] == {"etag": saved.get_json()["etag"]}


def test_a_big_draft_is_saved_whole_through_the_served_app(app, front_door):
    client = front_door(app)
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    read = client.get("/api/v1/flows/hello/draft")
    big = {**HELLO, "blocks": {**HELLO["blocks"], **{
        f"say{n}": {"type": "say", "config": {"text": "Ни слова. " * 20}} for n in range(1000)}}}
    sent = json.dumps(big, ensure_ascii=False).encode()
    answer = client.open(path="/api/v1/flows/hello/draft", method="PUT", data=sent,
                         content_type="application/json",
                         headers={"If-Match": read.headers["ETag"], "X-CSRF-Token": csrf})
    assert answer.status_code == 200, answer.data[:300]
    assert client.get("/api/v1/flows/hello/draft").data == sent


def test_an_if_match_listing_several_etags_matches_when_any_of_them_is_current(local):
    read = local.get("/flows/hello/draft")
    sent = json.dumps({**HELLO, "name": "Hello again"}).encode()
    saved = local.client.put("/api/v1/flows/hello/draft", data=sent,
                             headers={"If-Match": f'"stale", {read.headers["ETag"]}',
                                      "Content-Type": "application/json",
                                      "X-CSRF-Token": local.csrf})
    assert saved.status_code == 200, saved.get_data(True)
    stale = local.client.put("/api/v1/flows/hello/draft", data=sent,
                             headers={"If-Match": '"stale", "older"',
                                      "Content-Type": "application/json",
                                      "X-CSRF-Token": local.csrf})
    assert (stale.status_code, stale.get_json()["error"]["code"]) == (409, "version_mismatch")
