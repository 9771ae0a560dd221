"""Fixtures of the flow store's tests: workspaces (plain or git), a records database, a store."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from blocks import default_registry
from builder.flowstore import Author, FlowStore
from runtime.records import RecordsDatabase
from runtime.workspace import Workspace

OPS = "Olga Ops <olga@example.com>"


def _hello_flow(text: str = "Hi.", flow_id: str = "hello") -> dict:
    return {"schema": "callwright/flow@1", "id": flow_id, "name": "Hello", "start": "hi",
            "blocks": {"hi": {"type": "say", "config": {"text": text}, "exits": {"next": "bye"}},
                       "bye": {"type": "end", "config": {}}},
            "layout": {"hi": {"x": 0, "y": 0}, "bye": {"x": 200, "y": 0}}}


def _git(root: Path, *args: str, author: str = OPS) -> str:
    name, _, email = author.partition(" <")
    email = email.rstrip(">")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email}
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, **env}, timeout=30)
    return done.stdout


@pytest.fixture
def hello_flow() -> Callable[..., dict]:
    """Return hello_flow(text="Hi.", flow_id="hello"): a valid flow that says text, then ends."""
    return _hello_flow


@pytest.fixture
def run_git() -> Callable[..., str]:
    """Return run_git(root, *args, author=OPS): git run as the ops team; what it printed."""
    return _git


@pytest.fixture
def ann() -> Author:
    """Return the analyst who edits flows in the browser."""
    return Author("Ann Analyst", "ann@example.com")


@pytest.fixture(autouse=True)
def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's git configuration out: no user name, no hooks, no signing."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def records(tmp_path: Path):
    """Return the engine of a fresh records database (migrated)."""
    database = RecordsDatabase(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    yield database.engine
    database.close()


@pytest.fixture
def open_store(make_workspace, records) -> Callable[..., FlowStore]:
    """Return open(*flows, routes=None, git_repo=False): a store over a fresh workspace.

    With `git_repo`, the workspace is a repository whose first commit (by OPS) holds its files.
    A second call opens another store on the same folder and database: another process's view.
    """
    made: list[Path] = []

    def open_(*flows: dict, routes: dict | None = None, git_repo: bool = False) -> FlowStore:
        if not made:
            root = make_workspace(*flows, routes=routes)
            if git_repo:
                _git(root, "init", "--quiet", "--initial-branch=main")
                _git(root, "add", "--all")
                _git(root, "commit", "--quiet", "-m", "Workspace as the ops team keeps it")
            made.append(root)
        root = made[0]
        workspace = Workspace.load(root, default_registry(),
                                   archive=root / ".callwright" / "flows")
        return FlowStore.open(workspace, records)
    return open_
