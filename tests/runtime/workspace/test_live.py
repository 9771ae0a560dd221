"""The workspace keeps every flow version that went live, so waiting sessions resume in theirs."""

from __future__ import annotations

import gc
import json
import shutil

import pytest

from runtime import FlowNotFound, Runtime
from runtime.engine import Flow
from runtime.workspace import Reloaded

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


# Reload: files changed on disk (a git pull) go live in the running process


@pytest.fixture
def live(make_workspace):
    """Return a runtime over a workspace holding V1 (closed after the test); `.root` is its folder."""
    runtime = Runtime.open(make_workspace(V1, routes={"schema": "callwright/routes@1",
                                                      "chat": {"web": "order"}}))
    runtime.root = runtime.workspace.root
    yield runtime
    runtime.close()


def write(root, name: str, doc: object) -> None:
    """Write a file of the workspace as an ops team's git pull would (a new file in its place)."""
    path = root / name
    part = path.with_name(path.name + ".new")
    part.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, "utf-8")
    part.replace(path)


def test_a_changed_flow_goes_live_and_a_running_session_finishes_on_its_version(live):
    first = live.chat_turn("order", None, "hi")
    write(live.root, "flows/order.json", V2)
    reloaded = live.workspace.reload()
    assert reloaded.live == ("order",) and reloaded.changed
    assert texts(live.chat_turn("order", first["session"], "1")) == ["See you today (v1)."]
    assert texts(live.chat_turn("order", None, "hi")) == ["Hello (v2).", "Bye (v2)."]


def test_a_long_run_of_deploys_holds_only_a_few_old_versions_in_memory(live):
    # every version that went live stays on disk; memory holds a few, else a server that runs
    # for months grows with every publish
    first = live.chat_turn("order", None, "hi")
    for n in range(200):
        write(live.root, "flows/order.json",
              {**V2, "blocks": {**V2["blocks"], "greet": {**V2["blocks"]["greet"],
                                                          "config": {"text": f"Deploy {n}."}}}})
        assert live.workspace.reload().live == ("order",)
    gc.collect()
    held = [kept for kept in gc.get_objects() if isinstance(kept, Flow) and kept.id == "order"]
    assert len(held) <= 100
    # the first version is still where its waiting session finds it: read again from disk
    assert texts(live.chat_turn("order", first["session"], "1")) == ["See you today (v1)."]


def test_nothing_changed_on_disk_reloads_nothing(live):
    flow = live.workspace.flows["order"]
    assert not live.workspace.reload().changed
    write(live.root, "flows/order.json", V1)  # the same flow written again
    assert live.workspace.reload() == Reloaded()
    assert live.workspace.flows["order"] is flow


def test_a_changed_file_that_fails_validation_is_refused_and_the_live_version_keeps_running(live):
    broken = {**V2, "start": "nowhere"}
    write(live.root, "flows/order.json", broken)
    reloaded = live.workspace.reload()
    file = str(live.root / "flows" / "order.json")
    assert reloaded.live == () and not reloaded.changed
    assert [p.pointer for p in reloaded.refused[file]] == ["/start"]
    assert reloaded.refused[file][0].line is not None  # placed in the file
    assert live.workspace.problems[file] == reloaded.refused[file]
    assert texts(live.chat_turn("order", None, "hi")) == []  # V1 asks and waits
    assert live.workspace.flows["order"].doc["start"] == "ask"
    write(live.root, "flows/order.json", V2)
    assert live.workspace.reload().live == ("order",)
    assert file not in live.workspace.problems


def test_a_file_that_does_not_parse_is_refused_with_its_line(live):
    write(live.root, "flows/order.json", '{"schema": "callwright/flow@1",\n  "id": }')
    [problem] = live.workspace.reload().refused[str(live.root / "flows" / "order.json")]
    assert problem.line == 2
    assert "order" in live.workspace.flows


def test_a_new_flow_goes_live_and_a_deleted_one_is_taken_out(live):
    write(live.root, "flows/other.json", {**V2, "id": "other"})
    assert live.workspace.reload().live == ("other",)
    assert texts(live.chat_turn("other", None, "hi")) == ["Hello (v2).", "Bye (v2)."]
    first = live.chat_turn("order", None, "hi")
    (live.root / "flows" / "order.json").unlink()
    reloaded = live.workspace.reload()
    assert reloaded.removed == ("order",)
    assert "order" not in live.workspace.flows and "order" not in live.workspace.docs
    with pytest.raises(FlowNotFound):
        live.chat_turn("order", None, "hi")
    # the session that was running finishes on the version it started in
    assert texts(live.chat_turn("order", first["session"], "1")) == ["See you today (v1)."]


def test_routes_that_name_a_deleted_flow_are_refused_and_the_routes_that_ran_are_kept(live):
    (live.root / "flows" / "order.json").unlink()
    file = str(live.root / "routes.json")
    assert file in live.workspace.reload().refused
    assert live.workspace.routes["chat"] == {"web": "order"}


def test_changed_routes_go_live(live):
    write(live.root, "flows/other.json", {**V2, "id": "other"})
    write(live.root, "routes.json", {"schema": "callwright/routes@1", "chat": {"web": "other"}})
    reloaded = live.workspace.reload()
    assert reloaded.routes and reloaded.live == ("other",)
    assert live.workspace.route("chat", "web") == "other"


def test_flows_that_arrive_together_may_call_each_other(live):
    child = {**V2, "id": "child"}
    parent = {"schema": "callwright/flow@1", "id": "parent", "start": "call",
              "blocks": {"call": {"type": "subflow", "config": {"flow": "child"}}}}
    write(live.root, "flows/parent.json", parent)
    write(live.root, "flows/child.json", child)
    assert live.workspace.reload().live == ("child", "parent")
    assert texts(live.chat_turn("parent", None, "hi")) == ["Hello (v2).", "Bye (v2)."]


def test_a_flow_whose_id_differs_from_its_file_name_is_refused(live):
    write(live.root, "flows/third.json", {**V2, "id": "fourth"})
    reloaded = live.workspace.reload()
    assert [p.pointer for p in reloaded.refused[str(live.root / "flows" / "third.json")]] == ["/id"]
    assert "third" not in live.workspace.flows and "fourth" not in live.workspace.flows
