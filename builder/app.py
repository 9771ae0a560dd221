"""The Flask application factory of the builder: the REST API over one workspace's runtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from runtime import Runtime

from . import api, auth, errors
from .flowstore import FlowStore, FlowWatcher

WATCH_INTERVAL_S = 1.0
WATCHER_EXTENSION = "callwright.watcher"


def create_app(workspace: str | Path | None = None,
               test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app for a workspace: defaults, then the environment, then test overrides."""
    app = Flask(__name__)
    app.config.from_mapping(
        WORKSPACE=os.environ.get("CALLWRIGHT_WORKSPACE", "."),
        SESSIONS_URL=None,  # None: the runtime's embedded default (or the workspace settings)
        REGISTRY=None,  # None: the process-wide block registry (built-ins and entry points)
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,  # a flow document of thousands of blocks still fits
        # seconds between looks at the workspace's files, so that files changed through git go
        # live; 0: never; None: every WATCH_INTERVAL_S, but never in tests (TESTING)
        WATCH_INTERVAL_S=None,
    )
    if workspace is not None:
        app.config["WORKSPACE"] = str(workspace)
    if test_config is not None:
        app.config.from_mapping(test_config)
    # the runtime loads the workspace and the block registry once; every request reuses them
    runtime = app.extensions[api.RUNTIME_EXTENSION] = Runtime.open(
        Path(app.config["WORKSPACE"]), sessions_url=app.config["SESSIONS_URL"],
        registry=app.config["REGISTRY"])
    try:
        open_flow_store(app, runtime)
        errors.init_app(app)
        auth.init_app(app, runtime)
        api.init_app(app)
        api.init_access(app)
    except BaseException:  # no app to close later: stop its watcher and close its runtime now
        close_app(app)
        raise
    return app


def open_flow_store(app: Flask, runtime: Runtime) -> None:
    """Open the workspace's flow store and, when serving, watch its files for changes."""
    assert runtime.records is not None  # Runtime.open always opens the records database
    store = app.extensions[api.STORE_EXTENSION] = FlowStore.open(runtime.workspace,
                                                                 runtime.records.engine)
    store.sync()  # flows that changed while no server ran become versions now
    interval = app.config["WATCH_INTERVAL_S"]
    if interval is None:
        interval = 0 if app.testing else WATCH_INTERVAL_S
    if interval:
        watcher = app.extensions[WATCHER_EXTENSION] = FlowWatcher(store.refresh, interval)
        watcher.start()


def close_app(app: Flask) -> None:
    """Stop watching the workspace's files and close the runtime (its log writes what it holds)."""
    watcher = app.extensions.pop(WATCHER_EXTENSION, None)
    if watcher is not None:
        watcher.stop()
    app.extensions[api.RUNTIME_EXTENSION].close()
