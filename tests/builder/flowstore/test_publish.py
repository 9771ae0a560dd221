"""Publishing: a draft validated, written in the stable form, numbered, and live at once."""

from __future__ import annotations

import json

import pytest

from builder.flowstore import FlowExists, FlowInUse, FlowMissing, PreconditionRequired, \
    VersionMismatch, VersionMissing
from runtime import InvalidFlow
from runtime.engine import flow_version
from runtime.workspace.stable_form import dumps


def save(store, doc: dict, author) -> str:
    """Save a document as the flow's draft over its working copy; return the draft's ETag."""
    etag = store.working_copy(doc["id"]).etag
    return store.save_draft(doc["id"], json.dumps(doc).encode(), doc, author, if_match=etag).etag


def test_publish_writes_the_stable_form_numbers_the_version_and_takes_it_live(
        open_store, ann, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    etag = save(store, hello_flow("Hello there."), ann)
    published = store.publish("hello", ann, note="Warmer greeting", if_match=etag)
    version = published.version
    assert published.created and version.number == 2
    assert (version.source, version.author, version.note, version.commit) == (
        "editor", "Ann Analyst <ann@example.com>", "Warmer greeting", None)
    file = store.workspace.root / "flows" / "hello.json"
    assert file.read_text("utf-8") == dumps(hello_flow("Hello there."), store.registry)
    assert version.content_hash == flow_version(hello_flow("Hello there."))
    assert store.workspace.flows["hello"].version == version.content_hash  # live at once
    assert store.drafts.read("hello") is None
    assert store.version("hello", 2).document == hello_flow("Hello there.")


def test_a_new_flow_published_becomes_live_as_version_one(open_store, ann):
    store = open_store()
    draft = store.create("support", ann, name="Support")
    published = store.publish("support", ann, note=None, if_match=draft.etag)
    assert published.version.number == 1
    assert "support" in store.workspace.flows


def test_errors_block_publishing_and_every_problem_is_reported(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    broken = hello_flow()
    broken["blocks"]["hi"]["exits"] = {"next": "nowhere"}
    broken["blocks"]["lost"] = {"type": "say", "config": {"text": "Unreachable."}}
    etag = save(store, broken, ann)
    before = (store.workspace.root / "flows" / "hello.json").read_bytes()
    with pytest.raises(InvalidFlow) as refused:
        store.publish("hello", ann, note="x", if_match=etag)
    kinds = {(p.severity, p.pointer) for p in refused.value.problems}
    assert ("error", "/blocks/hi/exits/next") in kinds
    assert ("warning", "/blocks/lost") in kinds  # warnings come along, they do not block
    assert (store.workspace.root / "flows" / "hello.json").read_bytes() == before
    assert store.drafts.read("hello").etag == etag  # the draft stays to be fixed
    assert store.versions.latest("hello") is None


def test_publish_needs_the_etag_of_the_working_copy(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    save(store, hello_flow("New."), ann)
    with pytest.raises(PreconditionRequired):
        store.publish("hello", ann, note=None, if_match=None)
    with pytest.raises(VersionMismatch):
        store.publish("hello", ann, note=None, if_match="0000000000000000")
    assert store.workspace.flows["hello"].doc == hello_flow()


def test_publishing_an_unchanged_flow_rewrites_no_byte_and_makes_no_version(
        open_store, ann, hello_flow):
    store = open_store(hello_flow())
    etag = save(store, hello_flow("Once."), ann)
    first = store.publish("hello", ann, note="once", if_match=etag)
    file = store.workspace.root / "flows" / "hello.json"
    stamp = file.stat()
    etag = save(store, hello_flow("Once."), ann)  # the same flow, sent again
    again = store.publish("hello", ann, note="again", if_match=etag)
    assert not again.created and again.version.number == first.version.number == 1
    after = file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert store.drafts.read("hello") is None


def test_rollback_publishes_an_old_version_again_as_a_new_one(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    store.publish("hello", ann, note="v2", if_match=save(store, hello_flow("Two."), ann))
    draft = save(store, hello_flow("Work in progress."), ann)
    rolled = store.rollback("hello", 1, ann, note="Two was wrong")
    assert rolled.created and rolled.version.number == 3
    assert (rolled.version.source, rolled.version.note) == ("rollback",
                                                            "Rollback to version 1: Two was wrong")
    assert store.workspace.flows["hello"].doc == hello_flow()
    assert store.drafts.read("hello").etag == draft  # unpublished work is not lost
    assert [v.number for v in store.history("hello")] == [3, 2, 1]
    with pytest.raises(VersionMissing):
        store.rollback("hello", 9, ann)


def test_delete_removes_the_file_and_the_draft_and_keeps_the_versions(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    save(store, hello_flow("Draft."), ann)
    store.delete("hello", ann)
    assert not (store.workspace.root / "flows" / "hello.json").exists()
    assert store.drafts.read("hello") is None
    assert "hello" not in store.workspace.flows
    assert [v.number for v in store.history("hello")] == [1]
    with pytest.raises(FlowMissing):
        store.delete("hello", ann)
    store.create("only-draft", ann)
    store.delete("only-draft", ann)
    assert store.drafts.read("only-draft") is None


def test_a_flow_that_routes_or_subflows_name_is_neither_deleted_nor_renamed(
        open_store, ann, hello_flow):
    parent = {"schema": "callwright/flow@1", "id": "parent", "start": "call",
              "blocks": {"call": {"type": "subflow", "config": {"flow": "hello"}}}}
    routes = {"schema": "callwright/routes@1", "chat": {"web": "hello"}}
    store = open_store(hello_flow(), parent, routes=routes)
    for change in (lambda: store.delete("hello", ann),
                   lambda: store.rename("hello", "greeting", ann)):
        with pytest.raises(FlowInUse) as refused:
            change()
        assert refused.value.status == 409
        assert [(d["file"], d["pointer"]) for d in refused.value.details] == [
            ("routes.json", "/chat/web"), ("flows/parent.json", "/blocks/call/config/flow")]
    assert (store.workspace.root / "flows" / "hello.json").exists()


def test_rename_moves_the_file_and_the_draft_to_the_new_id(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    draft = save(store, hello_flow("Draft."), ann)
    store.rename("hello", "greeting", ann)
    flows = store.workspace.root / "flows"
    assert sorted(p.name for p in flows.iterdir()) == ["greeting.json"]
    assert json.loads((flows / "greeting.json").read_text())["id"] == "greeting"
    assert set(store.workspace.flows) == {"greeting"}
    [version] = store.history("greeting")
    assert (version.number, version.note) == (1, "Renamed from hello")
    assert store.working_copy("greeting").document == {**hello_flow("Draft."), "id": "greeting"}
    assert store.drafts.read("hello") is None and draft
    assert [v.number for v in store.history("hello")] == [1]  # the old id's history stays
    with pytest.raises(FlowExists):
        store.create("greeting", ann)


def test_a_bot_block_naming_an_intent_the_bot_lacks_is_not_published(open_store, ann, hello_flow,
                                                                     make_workspace):
    root = make_workspace(hello_flow())
    (root / "bots").mkdir()
    (root / "bots" / "bank.json").write_text(json.dumps(
        {"schema": "callwright/bot@1", "id": "bank", "languages": ["en"],
         "intents": {"balance": {"examples": {"en": ["what is my balance"]}}}}), "utf-8")
    store = open_store()
    doc = hello_flow()
    doc["blocks"]["hi"] = {"type": "bot", "config": {"bot": "bank"},
                           "exits": {"balanse": "hi"}}
    etag = save(store, doc, ann)
    with pytest.raises(InvalidFlow) as refused:
        store.publish("hello", ann, note="x", if_match=etag)
    assert [p.pointer for p in refused.value.problems if p.is_error] == ["/blocks/hi/exits/balanse"]
