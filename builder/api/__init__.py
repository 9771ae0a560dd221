"""The REST API under /api/v1: one blueprint per resource, registered by `init_app`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app

if TYPE_CHECKING:
    from runtime import Runtime

    from ..flowstore import FlowStore

API_PREFIX = "/api/v1"
RUNTIME_EXTENSION = "callwright.runtime"
STORE_EXTENSION = "callwright.flowstore"


def current_runtime() -> Runtime:
    """Return the runtime of the app handling this request."""
    return current_app.extensions[RUNTIME_EXTENSION]


def current_store() -> FlowStore:
    """Return the flow store of the app handling this request (drafts, versions, publishing);
    `.of("bot")` and `.of("responses")` are its bots' and responses sets'."""
    return current_app.extensions[STORE_EXTENSION]


def json_response(data: Any, status: int = 200) -> Response:
    """Return `data` as compact UTF-8 JSON."""
    return Response(json.dumps(data, separators=(",", ":"), ensure_ascii=False), status=status,
                    mimetype="application/json")


def init_app(app: Flask) -> None:
    """Register every resource's blueprint under /api/v1 and mount the chat route in front."""
    from . import (blocks, bots, campaigns, channels, chat, contacts, drafts, executions,
                   executions_list, flows, health, index, recordings, responses, simulations,
                   versions, voice)

    for module in (health, blocks, bots, responses, flows, drafts, versions, executions,
                   executions_list, simulations, channels, campaigns, voice, recordings, contacts):
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.register_blueprint(index.bp)  # `/` and `/api/v1` itself: its rules are whole paths
    app.register_blueprint(voice.metrics_bp)  # `/metrics`, where Prometheus looks
    app.wsgi_app = chat.ChatRoute(app.wsgi_app, app.extensions[RUNTIME_EXTENSION])


def init_access(app: Flask) -> None:
    """Register the users-and-access resources and open the routes that need no sign-in."""
    from ..auth import changes_nothing, public
    from . import audit, channels, health, index, session, tokens, users

    for module in (session, users, tokens, audit):
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    # open by design: health and the API's document, the front pages (and the editor's files
    # nested there, its sign-in page among them), webhooks that carry their own signatures
    for module in (health, index, channels):
        public(module.bp)
    # POSTs only because a flow is too large for a query, or a text too long for one
    for name in ("flows.validate", "bots.classify", "responses.preview"):
        view = app.view_functions.get(name)
        if view is not None:
            changes_nothing(view)
