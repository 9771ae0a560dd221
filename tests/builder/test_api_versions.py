"""Versions over HTTP: publish (live at once, a git commit by the user), list, read, diff, roll back."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from api_browser import PASSWORD, Browser, conforms, local_browser, signed_in

from builder.app import create_app
from builder.auth.state import state_of
HELLO = {"schema": "callwright/flow@1", "id": "hello", "name": "Hello", "start": "hi",
         "blocks": {"hi": {"type": "say", "config": {"text": "Hi."}, "exits": {"next": "bye"}},
                    "bye": {"type": "end", "config": {}}},
         "layout": {"hi": {"x": 0, "y": 0}, "bye": {"x": 200, "y": 0}}}


def hello(text: str) -> dict:
    return {**HELLO, "blocks": {**HELLO["blocks"], "hi": {**HELLO["blocks"]["hi"],
                                                          "config": {"text": text}}}}


class FlowBrowser(Browser):
    """A browser that saves and publishes a flow's draft."""

    def save(self, doc: dict) -> str:
        """Save a flow's draft over its working copy; return the draft's ETag."""
        etag = self.get(f"/flows/{doc['id']}/draft").headers["ETag"].strip('"')
        answer = self.send("PUT", f"/flows/{doc['id']}/draft", doc, etag=etag)
        assert answer.status_code == 200, answer.get_data(True)
        return answer.get_json()["etag"]

    def publish(self, doc: dict, note: str | None = "") -> Any:
        return self.send("POST", f"/flows/{doc['id']}/publish", {"note": note},
                         etag=self.save(doc))


@pytest.fixture
def app(workspace_app):
    return workspace_app(HELLO)


@pytest.fixture
def local(app) -> FlowBrowser:
    return local_browser(app, FlowBrowser)


def sign_in(app: Any, name: str, role: str) -> FlowBrowser:
    return signed_in(app, name, role, FlowBrowser)


def test_publish_makes_the_next_version_live_at_once(app, local):
    published = local.publish(hello("Hello there."), note="Warmer")
    assert published.status_code == 201, published.get_data(True)
    answer = published.get_json()
    assert conforms("Published", answer) == []
    assert answer["number"] == 2 and answer["commit"] is None  # a plain folder: no commit
    assert local.get("/flows/hello").get_json() == hello("Hello there.")
    turn = app.test_client().post("/api/v1/chat/hello/messages", json={"text": "hi"}).get_json()
    assert turn["replies"][0]["text"] == "Hello there."
    [flow] = local.get("/flows").get_json()["flows"]
    assert flow["live"]["number"] == 2 and flow["draft"] is None
    assert flow["live"]["author"] == "Local admin"


def test_errors_block_publishing_with_every_problem_named(local):
    broken = json.loads(json.dumps(hello("x")))
    broken["blocks"]["hi"]["exits"]["next"] = "nowhere"
    broken["blocks"]["lost"] = {"type": "say", "config": {"text": 5}}
    answer = local.publish(broken)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_flow"
    found = {(p["severity"], p["pointer"], p["block"], p["field"]) for p in error["details"]}
    assert ("error", "/blocks/hi/exits/next", "hi", "exits") in found
    assert ("error", "/blocks/lost/config/text", "lost", "text") in found
    assert ("warning", "/blocks/lost", "lost", None) in found
    assert local.get("/flows/hello").get_json() == HELLO


def test_publish_needs_the_draft_s_current_etag(local):
    local.save(hello("Draft."))
    stale = local.send("POST", "/flows/hello/publish", {"note": "x"}, etag="0123456789abcdef")
    assert (stale.status_code, stale.get_json()["error"]["code"]) == (409, "version_mismatch")
    blind = local.send("POST", "/flows/hello/publish", {"note": "x"})
    assert (blind.status_code, blind.get_json()["error"]["code"]) == (428,
                                                                      "precondition_required")
    assert local.get("/flows/hello").get_json() == HELLO


def test_publishing_what_is_live_already_makes_no_version(local):
    again = local.publish(HELLO)
    assert (again.status_code, again.get_json()["number"]) == (200, 1)


def test_versions_are_listed_newest_first_and_read_one_by_one(local):
    local.publish(hello("Two."), note="second")
    listing = local.get("/flows/hello/versions").get_json()
    assert conforms("VersionList", listing) == []
    assert [(v["number"], v["source"], v["note"]) for v in listing["versions"]] == [
        (2, "editor", "second"), (1, "git", "Changed on disk")]
    first = local.get("/flows/hello/versions/1")
    assert first.get_json() == HELLO and first.headers["ETag"].strip('"') == \
        listing["versions"][1]["content_hash"]
    missing = local.get("/flows/hello/versions/9")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404,
                                                                          "version_not_found")
    assert local.get("/flows/nobody/versions").status_code == 404


def test_a_version_number_no_database_holds_is_a_404_not_a_500(local):
    # SQLite refuses an int beyond 64 bits and PostgreSQL one beyond the column's 32
    for number in (2**31, 2**63, 10**30):
        answer = local.get(f"/flows/hello/versions/{number}")
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (
            404, "version_not_found"), number
        rolled = local.send("POST", "/flows/hello/rollback", {"version": number})
        assert (rolled.status_code, rolled.get_json()["error"]["code"]) == (
            404, "version_not_found"), number


def test_diff_of_two_versions_and_of_a_version_and_the_draft(local):
    local.publish(hello("Two."))
    moved = json.loads(json.dumps(hello("Two.")))
    moved["layout"]["bye"] = {"x": 300, "y": 50}
    moved["blocks"]["extra"] = {"type": "end"}
    local.save({**moved, "start": "hi", "name": "Hello 3"})
    versions = local.get("/flows/hello/diff?from=1&to=2").get_json()
    assert conforms("FlowDiff", versions) == []
    assert (versions["from"], versions["to"], versions["changed"]) == (
        1, 2, [{"id": "hi", "fields": ["config"]}])
    draft = local.get("/flows/hello/diff?from=2&to=draft").get_json()
    assert (draft["to"], draft["added"], draft["moved"], draft["flow_fields"]) == (
        "draft", ["extra"], ["bye"], ["name"])
    for query in ("from=1", "from=0&to=2", "from=x&to=2", "from=1&to=99999999999",
                  "from=1&to=2147483648"):
        answer = local.get(f"/flows/hello/diff?{query}")
        assert answer.status_code in (400, 404), query


def test_rollback_publishes_an_old_version_as_a_new_one(local):
    local.publish(hello("Two."))
    rolled = local.send("POST", "/flows/hello/rollback", {"version": 1, "note": "Two was wrong"})
    assert rolled.status_code == 201 and rolled.get_json()["number"] == 3
    latest = local.get("/flows/hello/versions").get_json()["versions"][0]
    assert (latest["source"], latest["note"]) == ("rollback", "Rollback to version 1: Two was wrong")
    assert local.get("/flows/hello").get_json() == HELLO
    again = local.send("POST", "/flows/hello/rollback", {"version": 2.0})  # a JSON integer
    assert again.status_code == 201 and again.get_json()["number"] == 4
    for wrong in ("1", 1.5, True):
        bad = local.send("POST", "/flows/hello/rollback", {"version": wrong})
        assert bad.status_code == 400 and bad.get_json()["error"]["details"][0]["pointer"] == \
            "/version", wrong


def test_a_viewer_and_a_viewer_token_cannot_publish_or_roll_back(app):
    viewer = sign_in(app, "vic", "viewer")
    _, secret = state_of(app).tokens.add("ci-reader", "viewer")
    reader = FlowBrowser(app.test_client(), token=secret)
    for who in (viewer, reader):
        assert who.get("/flows/hello/versions").status_code == 200
        etag = who.get("/flows/hello/draft").headers["ETag"].strip('"')
        for path, body in (("/flows/hello/publish", {"note": "x"}),
                           ("/flows/hello/rollback", {"version": 1})):
            answer = who.send("POST", path, body, etag=etag)
            assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "forbidden")
    _, writer = state_of(app).tokens.add("ci-writer", "editor")
    assert FlowBrowser(app.test_client(), token=writer).publish(hello("CI.")).status_code == 201


@pytest.mark.parametrize("path, body", [
    ("/flows/hello/publish", {"note": "one\u0000two"}),
    ("/flows/hello/rollback", {"version": 1, "note": "one\u0000two"}),
])
def test_a_note_with_a_nul_is_a_400_that_changes_nothing(app, local, path, body):
    etag = local.save(hello("Changed."))
    answer = local.send("POST", path, body, etag=etag)
    assert answer.status_code == 400, answer.get_data(True)
    assert answer.get_json()["error"]["details"][0]["pointer"] == "/note"
    assert [v["number"] for v in local.get("/flows/hello/versions").get_json()["versions"]] == [1]
    assert local.get("/flows/hello").get_json() == HELLO


def test_an_author_longer_than_the_versions_column_publishes_on_either_database(
        workspace_app, records_url):
    # a display name (128) and an e-mail (256) make an author past the column's 256 characters
    app = workspace_app(HELLO, toml=f'[storage]\ndatabase_url = "{records_url}"\n')
    name, email = "N" * 128, "e" * 240 + "@example.com"
    state_of(app).users.add("ann", "editor", PASSWORD, display_name=name, email=email)
    client = app.test_client()
    answer = client.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    editor = FlowBrowser(client, answer.get_json()["csrf_token"])
    published = editor.publish(hello("Long names."))
    assert published.status_code == 201, published.get_data(True)
    [newest, _] = editor.get("/flows/hello/versions").get_json()["versions"]
    assert newest["author"] == f"{name} <{email}>"[:256]
    assert editor.get("/flows/hello/draft").get_json() == hello("Long names.")


def test_publish_and_rollback_are_audited(app):
    editor = sign_in(app, "ann", "editor")
    editor.publish(hello("Two."), note="second")
    editor.send("POST", "/flows/hello/rollback", {"version": 1})
    entries = [(e["actor"], e["action"], e["detail"]["number"])
               for e in state_of(app).log.entries() if e["action"].startswith("flow_")
               and "number" in e["detail"]]
    assert entries == [("ann", "flow_rolled_back", 3), ("ann", "flow_published", 2)]


def git(root, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Olga Ops", "GIT_AUTHOR_EMAIL": "olga@example.com",
           "GIT_COMMITTER_NAME": "Olga Ops", "GIT_COMMITTER_EMAIL": "olga@example.com"}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout


def test_in_a_git_workspace_a_publish_is_a_commit_authored_by_the_signed_in_user(
        make_workspace, monkeypatch, tmp_path):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = make_workspace(HELLO)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "flows")
    git(root, "commit", "--quiet", "-m", "The ops team's flows")
    app = create_app(root, {"TESTING": True})
    try:
        editor = sign_in(app, "ann", "editor")
        published = editor.publish(hello("From the browser."), note="New greeting").get_json()
        log = git(root, "log", "-1", "--format=%H|%an <%ae>|%s").strip().split("|")
        assert log == [published["commit"], "Ann Analyst <ann@example.com>",
                       "Publish flow hello version 2: New greeting"]
        assert git(root, "show", "HEAD:flows/hello.json") == \
            (root / "flows" / "hello.json").read_text("utf-8")
        first = editor.get("/flows/hello/versions").get_json()["versions"][-1]
        assert (first["author"], first["source"]) == ("Olga Ops <olga@example.com>", "git")
    finally:
        app.extensions["callwright.runtime"].close()
