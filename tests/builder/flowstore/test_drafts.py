"""Drafts: saved as sent beside the workspace, changed only over the copy they were made on."""

from __future__ import annotations

import json

import pytest

from builder.errors import BadRequest
from builder.flowstore import (DraftMissing, FlowExists, FlowMissing, PreconditionRequired,
                               VersionMismatch)
from builder.flowstore.drafts import etag_of


def encoded(doc: object) -> bytes:
    return json.dumps(doc).encode("utf-8")


def test_a_new_flow_is_a_draft_that_starts_at_one_end_block(open_store, ann):
    store = open_store()
    draft = store.create("support", ann, name="Support line", description="Main inbound")
    document, etag = store.working_copy("support")
    assert etag == draft.etag == etag_of(draft.data)
    assert document["start"] == "end" and document["blocks"] == {"end": {"type": "end",
                                                                         "config": {}}}
    assert (document["name"], document["description"]) == ("Support line", "Main inbound")
    root = store.workspace.root
    assert not (root / "flows" / "support.json").exists()  # nothing published
    assert (root / ".callwright" / "drafts" / "support.json").read_bytes() == draft.data
    assert store.drafts.info("support").saved_by == "Ann Analyst <ann@example.com>"


def test_a_taken_or_malformed_id_is_refused(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    with pytest.raises(FlowExists):
        store.create("hello", ann)
    store.create("fresh", ann)
    with pytest.raises(FlowExists):
        store.create("fresh", ann)
    for bad in ("9lives", "a/b", "", "x" * 129, "../etc"):
        with pytest.raises(BadRequest) as refused:
            store.create(bad, ann)
        assert refused.value.details[0]["pointer"] == "/id"


def test_a_draft_is_saved_as_sent_even_when_invalid(open_store, ann):
    store = open_store()
    etag = store.create("support", ann).etag
    sent = b'{"id": "support", "start": "nowhere",   "blocks": {}}'
    draft = store.save_draft("support", sent, json.loads(sent), ann, if_match=etag)
    assert store.working_bytes("support") == (sent, etag_of(sent))
    assert draft.etag == etag_of(sent) != etag


def test_a_save_over_a_stale_copy_is_refused_and_changes_nothing(open_store, ann):
    store = open_store()
    first = store.create("support", ann).etag
    mine = {"schema": "callwright/flow@1", "id": "support", "start": "a", "blocks": {}}
    second = store.save_draft("support", encoded(mine), mine, ann, if_match=first).etag
    theirs = {**mine, "start": "b"}
    with pytest.raises(VersionMismatch) as refused:
        store.save_draft("support", encoded(theirs), theirs, ann, if_match=first)
    assert refused.value.status == 409 and refused.value.details[0]["etag"] == second
    assert store.working_copy("support").document["start"] == "a"


def test_a_save_over_an_existing_copy_without_if_match_is_refused(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    doc = hello_flow("Changed.")
    with pytest.raises(PreconditionRequired) as refused:
        store.save_draft("hello", encoded(doc), doc, ann, if_match=None)
    assert refused.value.status == 428
    assert store.drafts.read("hello") is None


def test_the_first_draft_of_a_published_flow_is_made_on_its_file(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    file = (store.workspace.root / "flows" / "hello.json").read_bytes()
    document, etag = store.working_copy("hello")
    assert etag == etag_of(file) and document == hello_flow()
    changed = hello_flow("Changed.")
    store.save_draft("hello", encoded(changed), changed, ann, if_match=etag)
    assert store.working_copy("hello").document == changed
    assert (store.workspace.root / "flows" / "hello.json").read_bytes() == file  # untouched


def test_a_draft_must_be_an_object_of_its_flow(open_store, ann):
    store = open_store()
    etag = store.create("support", ann).etag
    for sent, pointer in (([1, 2], ""), ({"id": "other"}, "/id"), ({"blocks": {}}, "/id")):
        with pytest.raises(BadRequest) as refused:
            store.save_draft("support", encoded(sent), sent, ann, if_match=etag)
        assert refused.value.details[0]["pointer"] == pointer
    assert store.working_copy("support").etag == etag


def test_a_draft_of_no_flow_is_not_found(open_store, ann):
    store = open_store()
    doc = {"id": "ghost"}
    with pytest.raises(FlowMissing):
        store.save_draft("ghost", encoded(doc), doc, ann, if_match="*")
    with pytest.raises(FlowMissing):
        store.working_copy("../flows/x")


def test_discarding_a_draft_brings_back_the_published_file(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    etag = store.working_copy("hello").etag
    changed = hello_flow("Changed.")
    draft = store.save_draft("hello", encoded(changed), changed, ann, if_match=etag)
    with pytest.raises(VersionMismatch):
        store.discard_draft("hello", if_match="stale")
    store.discard_draft("hello", if_match=draft.etag)
    assert store.working_copy("hello") == (hello_flow(), etag)
    with pytest.raises(DraftMissing):
        store.discard_draft("hello")


def test_duplicate_makes_a_new_draft_of_the_working_copy(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    draft = store.duplicate("hello", "hello2", ann)
    copy = store.working_copy("hello2").document
    assert copy == {**hello_flow(), "id": "hello2", "name": "Hello (copy)"}
    assert draft.etag == store.working_copy("hello2").etag
    assert store.duplicate("hello", "hello3", ann, name="Third").flow_id == "hello3"
    assert store.working_copy("hello3").document["name"] == "Third"
    with pytest.raises(FlowExists):
        store.duplicate("hello", "hello2", ann)


def test_drafts_are_written_whole_and_never_under_flows(open_store, ann):
    store = open_store()
    etag = store.create("support", ann).etag
    big = {"schema": "callwright/flow@1", "id": "support", "start": "b0",
           "blocks": {f"b{n}": {"type": "say", "config": {"text": "x" * 50}} for n in range(2000)}}
    store.save_draft("support", encoded(big), big, ann, if_match=etag)
    drafts = store.workspace.root / ".callwright" / "drafts"
    assert sorted(p.name for p in drafts.iterdir()) == ["meta", "support.json"]
    assert sorted(p.name for p in (store.workspace.root / "flows").iterdir()) == []
    assert (store.workspace.root / ".callwright" / ".gitignore").read_text() == "*\n"


def test_the_list_shows_live_flows_and_flows_with_only_a_draft(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    store.create("support", ann, name="Support line")
    listed = {entry["id"]: entry for entry in store.catalogue()}
    assert list(listed) == ["hello", "support"]
    assert listed["hello"]["live"]["number"] == 1 and listed["hello"]["draft"] is None
    assert listed["support"]["live"] is None and listed["support"]["name"] == "Support line"
    assert listed["support"]["draft"]["saved_by"] == "Ann Analyst <ann@example.com>"
    assert listed["support"]["draft"]["etag"] == store.working_copy("support").etag
