"""The workspace's bots: compiled when they go live, refused when broken, reloaded when changed."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from blocks import default_registry
from runtime.workspace import Workspace

BOT = {"schema": "callwright/bot@1", "id": "bank", "languages": ["en"],
       "intents": {"balance": {"examples": {"en": ["what is my balance"]}},
                   "hours": {"examples": {"en": ["when are you open"]}}}}
FLOW = {"schema": "callwright/flow@1", "id": "chat", "start": "understand",
        "blocks": {"understand": {"type": "bot", "config": {"bot": "bank"},
                                  "exits": {"balance": "done"}},
                   "done": {"type": "end"}}}


def write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), "utf-8")
    # a new stamp even within the file system's clock tick
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def root(make_workspace) -> Path:
    root = make_workspace(FLOW)
    write(root / "bots" / "bank.json", BOT)
    return root


def test_a_workspaces_bots_go_live_compiled_and_its_flows_are_checked_against_them(root):
    workspace = Workspace.load(root, default_registry())
    assert workspace.problems == {}
    assert set(workspace.flows) == {"chat"}
    assert workspace.bot("bank").classify("what's my balance").intent == "balance"
    assert workspace.bot("shop") is None


def test_a_flow_naming_an_intent_the_bot_lacks_is_not_taken_live(root):
    flow = copy.deepcopy(FLOW)
    flow["blocks"]["understand"]["exits"] = {"balanse": "done"}
    write(root / "flows" / "chat.json", flow)
    workspace = Workspace.load(root, default_registry())
    assert "chat" not in workspace.flows
    [problem] = workspace.problems[str(root / "flows" / "chat.json")]
    assert problem.pointer == "/blocks/understand/exits/balanse"


def test_a_broken_bot_is_refused_and_the_live_version_keeps_answering(root):
    workspace = Workspace.load(root, default_registry())
    live = workspace.bot("bank")
    write(root / "bots" / "bank.json", {**BOT, "languages": []})
    reloaded = workspace.reload()
    assert list(reloaded.refused) == [str(root / "bots" / "bank.json")]
    assert reloaded.refused[str(root / "bots" / "bank.json")][0].pointer == "/languages"
    assert workspace.bot("bank") is live


def test_a_changed_bot_goes_live_and_a_deleted_one_is_taken_out(root):
    workspace = Workspace.load(root, default_registry())
    changed = copy.deepcopy(BOT)
    changed["intents"]["balance"]["examples"]["en"].append("how much money do I have")
    write(root / "bots" / "bank.json", changed)
    reloaded = workspace.reload()
    assert reloaded.bots == ("bank",) and reloaded.changed and reloaded.live == ()
    assert workspace.bot("bank").classify("how much money do I have").confidence == 1.0
    (root / "bots" / "bank.json").unlink()
    assert workspace.reload().bots == ("bank",)
    assert workspace.bot("bank") is None


def test_a_bot_broken_from_the_start_is_named_by_flows_without_a_second_error(root):
    write(root / "bots" / "bank.json", {**BOT, "intents": {}})
    workspace = Workspace.load(root, default_registry())
    assert set(workspace.problems) == {str(root / "bots" / "bank.json")}
    assert "chat" in workspace.flows
    assert workspace.bot("bank") is None
