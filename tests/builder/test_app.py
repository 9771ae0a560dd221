"""The app factory: an app over a workspace, and nothing left running when it cannot be made."""

from __future__ import annotations

import threading

import pytest

from blocks.sdk import ConfigurationError
from builder.app import create_app

WATCHED = ("callwright-flow-watcher", "execution-log")


def running(names: tuple[str, ...]) -> list[threading.Thread]:
    """Return the live threads of those names."""
    return [thread for thread in threading.enumerate() if thread.name in names]


def test_an_app_that_cannot_be_made_leaves_no_thread_or_store_open(make_workspace) -> None:
    root = make_workspace(toml='[server]\ntrusted_proxies = ["not-a-network"]\n')
    before = set(running(WATCHED))
    with pytest.raises(ConfigurationError, match="trusted_proxies"):
        create_app(root, {"TESTING": True, "WATCH_INTERVAL_S": 0.05})
    left = [thread for thread in running(WATCHED) if thread not in before]
    for thread in left:
        thread.join(timeout=5)
    assert [thread.name for thread in left if thread.is_alive()] == []
