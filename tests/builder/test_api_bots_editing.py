"""Bots and responses sets edited over HTTP: the same drafts, ETags, versions, git commits,
roles and audit as flows, a phrase tried on a bot's draft, and each channel's preview of a
response."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from api_browser import Browser, conforms, signed_in

from builder.app import create_app
from builder.auth.state import state_of
HELLO = {"schema": "callwright/flow@1", "id": "hello", "start": "bye",
         "blocks": {"bye": {"type": "end", "config": {}}}}
BANK = {"schema": "callwright/bot@1", "id": "bank", "name": "Bank", "languages": ["en", "ru"],
        "intents": {"balance": {"examples": {"en": ["what is my balance"],
                                             "ru": ["какой у меня баланс"]}},
                    "hours": {"examples": {"en": ["when are you open"],
                                           "ru": ["когда вы работаете"]},
                              "response": "bank/hours"}}}
RESPONSES = {"schema": "callwright/responses@1", "id": "bank",
             "responses": {"hours": {"text": "We are open 9 to 5.",
                                     "variants": [{"language": "ru",
                                                   "text": "Мы работаем с 9 до 17."}]}}}
# a flow that answers with the bot, so the bot and the set are in use
ASSISTANT = {"schema": "callwright/flow@1", "id": "assistant", "start": "ask",
             "blocks": {"ask": {"type": "bot", "config": {"bot": "bank"},
                                "exits": {"balance": "bye", "answered": "bye", "fallback": "bye",
                                          "error": "bye"}},
                        "bye": {"type": "end", "config": {}}}}


class DocumentBrowser(Browser):
    """A browser that saves and publishes a bot's or a responses set's draft at its ETag."""

    def save(self, path: str, doc: dict) -> Any:
        return self.send("PUT", f"{path}/draft", doc, etag=self.etag(f"{path}/draft"))

    def publish(self, path: str, note: str = "") -> Any:
        return self.send("POST", f"{path}/publish", {"note": note},
                         etag=self.etag(f"{path}/draft"))


def git(root, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Olga Ops", "GIT_AUTHOR_EMAIL": "olga@example.com",
           "GIT_COMMITTER_NAME": "Olga Ops", "GIT_COMMITTER_EMAIL": "olga@example.com"}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout


@pytest.fixture
def root(make_workspace, monkeypatch, tmp_path):
    """A git workspace with the bank bot and responses set live, and a flow using the bot."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = make_workspace(HELLO, ASSISTANT)
    for folder, doc in (("bots", BANK), ("responses", RESPONSES)):
        (root / folder).mkdir()
        (root / folder / "bank.json").write_text(json.dumps(doc), "utf-8")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "The ops team's bank bot")
    return root


@pytest.fixture
def app(root):
    app = create_app(root, {"TESTING": True})
    yield app
    app.extensions["callwright.runtime"].close()


@pytest.fixture
def sign_in(app):
    return lambda name, role: signed_in(app, name, role, DocumentBrowser)


def with_intent(doc: dict, name: str, en: list[str], **extra: Any) -> dict:
    return {**doc, "intents": {**doc["intents"], name: {"examples": {"en": en, "ru": en},
                                                        **extra}}}


def test_a_bot_s_draft_is_classified_and_its_publish_is_live_as_a_commit_by_the_user(
        app, root, sign_in):
    ann = sign_in("ann", "editor")
    draft = with_intent(BANK, "lost_card", ["i lost my card", "my card was stolen"])
    saved = ann.save("/bots/bank", draft)
    assert saved.status_code == 200, saved.get_data(True)
    tried = ann.send("POST", "/bots/bank/classify", {"text": "I lost my card"}).get_json()
    assert (tried["intent"], tried["language"]) == ("lost_card", "en")
    assert 0 < tried["confidence"] <= 1 and conforms("Classification", tried) == []
    assert app.extensions["callwright.runtime"].workspace.bots["bank"].doc == BANK  # not live
    published = ann.publish("/bots/bank", note="Lost cards")
    assert published.status_code == 201, published.get_data(True)
    assert published.get_json()["number"] == 2
    log = git(root, "log", "-1", "--format=%H|%an <%ae>|%s").strip().split("|")
    assert log == [published.get_json()["commit"], "Ann Analyst <ann@example.com>",
                   "Publish bot bank version 2: Lost cards"]
    assert "lost_card" in app.extensions["callwright.runtime"].workspace.bots["bank"].doc[
        "intents"]
    versions = ann.get("/bots/bank/versions").get_json()["versions"]
    assert [(v["number"], v["source"], v["author"]) for v in versions] == [
        (2, "editor", "Ann Analyst <ann@example.com>"), (1, "git", "Olga Ops <olga@example.com>")]
    assert conforms("VersionList", {"versions": versions}) == []
    [listed] = ann.get("/bots").get_json()["bots"]
    assert listed["live"]["number"] == 2 and listed["draft"] is None
    assert conforms("BotList", ann.get("/bots").get_json()) == []
    # bots are not flows: the flows' list and versions hold none of them
    flows = ann.get("/flows").get_json()["flows"]
    assert [(f["id"], f["live"]["number"]) for f in flows] == [("assistant", 1), ("hello", 1)]


def test_a_save_over_a_stale_etag_is_a_409_that_changes_nothing(sign_in):
    ann, bob = sign_in("ann", "editor"), sign_in("bob", "editor")
    etag = ann.etag("/responses/bank/draft")
    first = bob.save("/responses/bank", {**RESPONSES, "name": "Bob's"})
    assert first.status_code == 200
    stale = ann.send("PUT", "/responses/bank/draft", {**RESPONSES, "name": "Ann's"}, etag=etag)
    assert (stale.status_code, stale.get_json()["error"]["code"]) == (409, "version_mismatch")
    assert ann.get("/responses/bank/draft").get_json()["name"] == "Bob's"
    blind = ann.send("POST", "/bots/bank/publish", {})
    assert (blind.status_code, blind.get_json()["error"]["code"]) == (428,
                                                                      "precondition_required")


def test_a_bot_with_errors_or_naming_a_missing_response_is_not_published(app, sign_in):
    ann = sign_in("ann", "editor")
    broken = with_intent(BANK, "fees", ["what are the fees"], response="bank/fees")
    ann.save("/bots/bank", broken)
    refused = ann.publish("/bots/bank")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "invalid_bot")
    assert [d["pointer"] for d in refused.get_json()["error"]["details"]] == [
        "/intents/fees/response"]
    assert app.extensions["callwright.runtime"].workspace.bots["bank"].doc == BANK


def test_a_publish_rolls_back_to_an_earlier_version_as_the_next_one(app, sign_in):
    ann = sign_in("ann", "editor")
    changed = {**RESPONSES, "responses": {**RESPONSES["responses"],
                                          "hours": {"text": "Open all day."}}}
    ann.save("/responses/bank", changed)
    assert ann.publish("/responses/bank").status_code == 201
    assert app.extensions["callwright.runtime"].workspace.response(
        "bank/hours", "chat", "ru")["text"] == "Open all day."
    back = ann.send("POST", "/responses/bank/rollback", {"version": 1})
    assert (back.status_code, back.get_json()["number"]) == (201, 3)
    assert ann.get("/responses/bank/versions/3").get_json() == RESPONSES
    assert app.extensions["callwright.runtime"].workspace.response(
        "bank/hours", "chat", "ru")["text"] == "Мы работаем с 9 до 17."
    actions = [(e["actor"], e["action"], e["target_kind"], e["target_id"])
               for e in state_of(app).log.entries() if e["action"].startswith("responses_")]
    assert actions == [("ann", "responses_rolled_back", "responses", "bank"),
                       ("ann", "responses_published", "responses", "bank"),
                       ("ann", "responses_saved", "responses", "bank")]


def test_a_bot_s_versions_are_compared_with_each_other_and_with_the_draft(sign_in):
    ann = sign_in("ann", "editor")
    second = {**BANK, "languages": ["en"], "intents": {
        "balance": {"examples": {"en": ["what is my balance", "how much money"]}}},
        "entities": {"card": {"kind": "list", "values": {"debit": ["debit"]}}}}
    ann.save("/bots/bank", second)
    assert ann.publish("/bots/bank").status_code == 201
    versions = ann.get("/bots/bank/diff?from=1&to=2").get_json()
    assert conforms("DocumentDiff", versions) == []
    assert versions == {"from": 1, "to": 2, "added": ["entities/card"],
                        "removed": ["intents/hours"],
                        "changed": [{"id": "intents/balance", "fields": ["examples"]}],
                        "fields": ["languages"]}
    ann.save("/bots/bank", {**second, "name": "Bank 3"})
    draft = ann.get("/bots/bank/diff?from=2&to=draft").get_json()
    assert (draft["to"], draft["added"], draft["changed"], draft["fields"]) == (
        "draft", [], [], ["name"])
    assert ann.get("/responses/bank/diff?from=1&to=draft").get_json()["changed"] == []
    assert ann.get("/bots/bank/diff?from=9&to=draft").status_code == 404
    assert ann.get("/bots/bank/diff?from=x&to=draft").status_code == 400


def test_a_viewer_compares_a_bot_s_versions_but_cannot_roll_it_back(sign_in):
    vic = sign_in("vic", "viewer")
    assert vic.get("/bots/bank/versions").status_code == 200
    assert vic.get("/bots/bank/diff?from=1&to=draft").status_code == 200
    refused = vic.send("POST", "/bots/bank/rollback", {"version": 1})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")
    assert [v["number"] for v in vic.get("/bots/bank/versions").get_json()["versions"]] == [1]


def test_a_viewer_reads_an_editor_saves_and_publishes_only_an_admin_deletes(app, sign_in):
    vic, ed, ada = sign_in("vic", "viewer"), sign_in("ed", "editor"), sign_in("ada", "admin")
    assert vic.get("/bots/bank/draft").status_code == 200
    assert vic.send("POST", "/bots/bank/classify", {"text": "hi"}).status_code == 200
    assert vic.save("/bots/bank", BANK).status_code == 403
    assert vic.send("POST", "/bots", {"id": "shop"}).status_code == 403
    created = ed.send("POST", "/bots", {"id": "shop", "name": "Shop"})
    assert created.status_code == 201 and created.headers["Location"].endswith(
        "/api/v1/bots/shop/draft")
    assert ed.publish("/bots/shop").status_code == 201
    assert ed.send("DELETE", "/bots/shop").status_code == 403
    assert ada.send("DELETE", "/bots/shop").status_code == 204
    assert "shop" not in app.extensions["callwright.runtime"].workspace.bots
    in_use = ada.send("DELETE", "/bots/bank")
    assert (in_use.status_code, in_use.get_json()["error"]["code"]) == (409, "bot_in_use")
    also = ada.send("DELETE", "/responses/bank")
    assert (also.status_code, also.get_json()["error"]["code"]) == (409, "responses_in_use")
    actions = [(e["actor"], e["action"], e["target_kind"], e["target_id"])
               for e in state_of(app).log.entries() if e["action"].startswith("bot_")]
    assert actions == [("ada", "bot_deleted", "bot", "shop"),
                       ("ed", "bot_published", "bot", "shop"),
                       ("ed", "bot_created", "bot", "shop")]


def test_a_missing_or_malformed_id_is_a_404_of_its_kind(sign_in):
    ann = sign_in("ann", "editor")
    for path, code in (("/bots/nope/draft", "bot_not_found"),
                       ("/responses/nope/versions", "responses_not_found"),
                       ("/bots/9starts-with-a-digit/draft", "bot_not_found")):
        answer = ann.get(path)
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (404, code), path
    taken = ann.send("POST", "/responses", {"id": "bank"})
    assert (taken.status_code, taken.get_json()["error"]["code"]) == (409, "responses_exists")


def test_a_response_is_previewed_per_channel_with_the_server_s_sms_segments(sign_in):
    vic = sign_in("vic", "viewer")
    latin = vic.send("POST", "/responses/bank/preview", {"name": "hours", "language": "en"})
    assert latin.status_code == 200, latin.get_data(True)
    channels = latin.get_json()["channels"]
    assert channels["voice"] == {"speak": "We are open 9 to 5."}
    assert (channels["sms"]["encoding"], channels["sms"]["segments"]) == ("gsm7", 1)
    cyrillic = vic.send("POST", "/responses/bank/preview",
                        {"response": {"text": "Ваш баланс " * 7, "quick_replies": ["Ещё"],
                                      "variants": [{"channel": "email", "subject": "Баланс",
                                                    "text": "Т", "html": "<p>Т</p>"}]},
                         "language": "ru"}).get_json()
    sms = cyrillic["channels"]["sms"]
    assert (sms["encoding"], sms["units"], sms["segments"]) == ("ucs2", 77, 2)
    assert cyrillic["channels"]["chat"]["quick_replies"] == ["Ещё"]
    assert cyrillic["channels"]["email"] == {"subject": "Баланс", "text": "Т",
                                             "html": "<p>Т</p>"}
    assert conforms("ResponsePreview", cyrillic) == []
    bad = vic.send("POST", "/responses/bank/preview", {"response": {"quick_replies": []}})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"][0]["pointer"].startswith("/response")


def test_a_bot_or_set_changed_through_git_becomes_a_version_by_the_commit_s_author(app, root,
                                                                                   sign_in):
    changed = with_intent(BANK, "fees", ["what are the fees"])
    (root / "bots" / "bank.json").write_text(json.dumps(changed), "utf-8")
    (root / "responses" / "bank.json").write_text(json.dumps({**RESPONSES, "name": "Bank"}),
                                                  "utf-8")
    git(root, "commit", "--quiet", "-am", "Fees, from the ops team")
    app.extensions["callwright.flowstore"].refresh()  # what the serve's watcher does each second
    vic = sign_in("vic", "viewer")
    for path in ("/bots/bank/versions", "/responses/bank/versions"):
        newest = vic.get(path).get_json()["versions"][0]
        assert (newest["number"], newest["source"], newest["author"], newest["note"]) == (
            2, "git", "Olga Ops <olga@example.com>", "Fees, from the ops team"), path
    assert vic.get("/bots/bank/versions/2").get_json() == changed
