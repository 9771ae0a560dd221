"""The workspace keeps every flow version that went live, so waiting sessions resume in theirs."""

from __future__ import annotations

import json
import shutil

import pytest

from runtime import Runtime

V1 = {"schema": "callwright/flow@1", "id": "order", "start": "ask",
      "blocks": {"ask": {"type": "menu",
                         "config": {"prompt": "Collect today?",
                                    "options": [{"key": "1", "label": "Yes", "exit": "yes"}]},
                         "exits": {"yes": "done"}},
                 "done": {"type": "end", "config": {"text": "See you today (v1)."}}}}
V2 = {"schema": "callwright/flow@1", "id": "order", "start": "greet",
      "blocks": {"greet": {"type": "say", "config": {"text": "Hello (v2)."},
                           "exits": {"next": "done"}},
                 "done": {"type": "end", "config": {"text": "Bye (v2)."}}}}


@pytest.fixture
def deploy(make_workspace):
    """Return deploy(doc): write the flow file and open a runtime on it (closed after the test)."""
    opened: list[Runtime] = []
    root = make_workspace(V1)

    def deploy_(doc: dict) -> Runtime:
        (root / "flows" / "order.json").write_text(json.dumps(doc), "utf-8")
        runtime = Runtime.open(root)
        opened.append(runtime)
        return runtime
    deploy_.root = root
    yield deploy_
    for runtime in opened:
        runtime.close()


def texts(turn: dict) -> list[str]:
    return [event["text"] for event in turn["replies"] if "text" in event]


def test_a_session_waiting_in_a_version_resumes_in_it_after_a_deploy_and_restart(deploy):
    first = deploy(V1).chat_turn("order", None, "hi")
    assert first["ended"] is False
    after = deploy(V2)  # a new process on the new file
    assert texts(after.chat_turn("order", first["session"], "1")) == ["See you today (v1)."]
    assert texts(after.chat_turn("order", None, "hi")) == ["Hello (v2).", "Bye (v2)."]


def test_each_version_is_kept_once_as_its_document(deploy):
    one, two = deploy(V1), deploy(V2)
    kept = sorted((deploy.root / ".callwright" / "flows" / "order").iterdir())
    assert sorted(json.loads(path.read_text("utf-8"))["start"] for path in kept) == ["ask",
                                                                                      "greet"]
    assert {path.stem for path in kept} == {one.workspace.flows["order"].version,
                                            two.workspace.flows["order"].version}


def test_without_its_kept_version_a_session_goes_on_in_the_live_one(deploy):
    first = deploy(V1).chat_turn("order", None, "hi")
    shutil.rmtree(deploy.root / ".callwright" / "flows")
    after = deploy({**V1, "blocks": {**V1["blocks"], "done": {
        "type": "end", "config": {"text": "See you today (v1.1)."}}}})
    assert texts(after.chat_turn("order", first["session"], "1")) == ["See you today (v1.1)."]


def test_a_session_whose_block_the_live_version_lacks_ends_with_an_error_naming_it(deploy):
    first = deploy(V1).chat_turn("order", None, "hi")
    shutil.rmtree(deploy.root / ".callwright" / "flows")
    after = deploy(V2)
    turn = after.chat_turn("order", first["session"], "1")
    assert turn["ended"] is True
    [end] = turn["replies"]  # the contact is told the conversation ended, not why
    assert (end["event"], end["disposition"]) == ("end", "flow_changed")
    assert after.sessions.get(first["session"]).status == "ended"
    last = after.execution(first["session"])["steps"][-1]  # the operator is told why
    assert last["block"] == "ask" and "no block 'ask', where this session waited" in last["note"]


def test_a_kept_file_holding_another_version_is_not_taken_for_the_one_it_is_named(deploy):
    first = deploy(V1).chat_turn("order", None, "hi")
    kept = deploy.root / ".callwright" / "flows" / "order"
    (path,) = kept.iterdir()
    changed = {**V1, "blocks": {**V1["blocks"], "done": {
        "type": "end", "config": {"text": "Tampered."}}}}
    path.write_text(json.dumps(changed), "utf-8")
    after = deploy({**V1, "blocks": {**V1["blocks"], "done": {
        "type": "end", "config": {"text": "See you today (v1.1)."}}}})
    assert texts(after.chat_turn("order", first["session"], "1")) == ["See you today (v1.1)."]
