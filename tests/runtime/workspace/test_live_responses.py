"""The workspace's responses sets: live when they validate, reloaded when changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from blocks import default_registry
from runtime.responses import UnknownResponse
from runtime.workspace import Workspace

FLOW = {"schema": "callwright/flow@1", "id": "main", "start": "hi",
        "blocks": {"hi": {"type": "say", "config": {"response": "bank/hi"}}}}


def write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), "utf-8")
    stat = path.stat()  # a new stamp even within the file system's clock tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def responses(text: str) -> dict:
    return {"schema": "callwright/responses@1", "id": "bank", "responses": {"hi": {"text": text}}}


def test_a_set_goes_live_changes_with_its_file_and_a_broken_change_is_refused(make_workspace):
    root = make_workspace(FLOW)
    path = root / "responses" / "bank.json"
    write(path, responses("Hello."))
    workspace = Workspace.load(root, default_registry())
    assert workspace.response("bank/hi", "chat", "en") == {"text": "Hello."}
    write(path, responses("Hello again."))
    workspace.reload()
    assert workspace.response("bank/hi", "chat", "en") == {"text": "Hello again."}
    write(path, {"schema": "callwright/responses@1", "id": "bank", "responses": {"hi": {}}})
    reloaded = workspace.reload()
    assert reloaded.refused[str(path)][0].pointer == "/responses/hi"
    assert workspace.response("bank/hi", "chat", "en") == {"text": "Hello again."}
    path.unlink()
    workspace.reload()
    with pytest.raises(UnknownResponse):
        workspace.response("bank/hi", "chat", "en")
