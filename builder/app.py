"""The Flask application factory of the builder: the REST API over one workspace's runtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from runtime import Runtime

from . import api, errors


def create_app(workspace: str | Path | None = None,
               test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app for a workspace: defaults, then the environment, then test overrides."""
    app = Flask(__name__)
    app.config.from_mapping(
        WORKSPACE=os.environ.get("CALLWRIGHT_WORKSPACE", "."),
        SESSIONS_URL=None,  # None: the runtime's embedded default (or the workspace settings)
        REGISTRY=None,  # None: the process-wide block registry (built-ins and entry points)
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,  # a flow document of thousands of blocks still fits
    )
    if workspace is not None:
        app.config["WORKSPACE"] = str(workspace)
    if test_config is not None:
        app.config.from_mapping(test_config)
    # the runtime loads the workspace and the block registry once; every request reuses them
    app.extensions[api.RUNTIME_EXTENSION] = Runtime.open(
        Path(app.config["WORKSPACE"]), sessions_url=app.config["SESSIONS_URL"],
        registry=app.config["REGISTRY"])
    errors.init_app(app)
    api.init_app(app)
    return app
