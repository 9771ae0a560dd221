"""The front doors: `/` and `/api/v1` say what this server serves and where its API is described."""

from __future__ import annotations

from functools import cache
from importlib import metadata

from flask import Blueprint, Response, request
from markupsafe import escape

from .. import openapi
from . import API_PREFIX, editor, json_response

bp = Blueprint("index", __name__)
bp.register_blueprint(editor.bp)  # the editor's pages and assets: whole paths, not API routes
METHODS = ("get", "put", "post", "patch", "delete")
# the guides live in the source tree's docs/ folder; the wheel does not ship them
DOCS = {"design": "docs/design.md", "blocks": "docs/blocks.md", "webhooks": "docs/webhooks.md",
        "emulator": "docs/emulator.md", "voice": "docs/voice.md", "production": "docs/production.md"}
# parts of the product the README and the design promise that this server does not run yet
NOT_YET: dict[str, str] = {}
# what `not_yet` says of the editor when its files are missing (an install that skipped its build)
EDITOR_MISSING = ("not served yet: this installation has no built editor (scripts/build-editor.sh "
                  "builds it); flows are JSON files in the workspace, checked and run with "
                  "`callwright validate`, `fmt` and `simulate`")


@cache
def product_version() -> str:
    """Return the installed callwright version ("unknown" when run from an uninstalled tree)."""
    try:
        return metadata.version("callwright")
    except metadata.PackageNotFoundError:
        return "unknown"


@cache
def resources() -> dict[str, dict[str, str]]:
    """Return every API route as {path: {METHOD: summary}}, read from the OpenAPI document."""
    return {API_PREFIX + path: {method.upper(): item[method].get("summary", "")
                                for method in METHODS if method in item}
            for path, item in openapi.document()["paths"].items()}


def index() -> dict:
    """Return what this server serves, where the API's document is, and what it does not run yet."""
    return {"name": "Callwright", "version": product_version(),
            "api": API_PREFIX, "openapi": f"{API_PREFIX}/openapi.json",
            "health": f"{API_PREFIX}/health", "resources": resources(),
            "not_yet": not_yet(), "docs": DOCS}


def not_yet() -> dict[str, str]:
    """Return the promised parts this server does not run: the editor only when it is not built."""
    return dict(NOT_YET) if editor.is_built() else {"editor": EDITOR_MISSING, **NOT_YET}


@bp.get(f"{API_PREFIX}/", strict_slashes=False)
def api_index() -> Response:
    """Answer where the API's routes, its OpenAPI document and the docs are."""
    return json_response(index())


@bp.get("/")
def front_page() -> Response:
    """Answer a browser with the editor (or a page), anything else with the API index as JSON."""
    wanted = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wanted != "text/html":
        response = json_response(index())
    elif editor.is_built():
        response = editor.index_page()
    else:
        response = Response(front_page_html(), mimetype="text/html")
    response.vary.add("Accept")
    return response


def front_page_html() -> str:
    """Return the front page: the same facts as the API index, for a person."""
    facts = index()
    rows = "".join(f"<li><code>{escape(method)} {escape(path)}</code> {escape(summary)}</li>"
                   for path, item in facts["resources"].items()
                   for method, summary in item.items())
    missing = "".join(f"<li>{escape(part.upper() if part == 'sip' else part.title())}: "
                      f"{escape(why)}</li>" for part, why in facts["not_yet"].items())
    docs = "".join(f"<li><code>{escape(path)}</code></li>" for path in facts["docs"].values())
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Callwright</title></head><body><h1>Callwright {escape(facts['version'])}</h1>"
            f"<p>This server runs the REST API, web chat turns and inbound webhooks under "
            f"<a href=\"{facts['api']}\"><code>{facts['api']}</code></a>, described by "
            f"<a href=\"{facts['openapi']}\"><code>{facts['openapi']}</code></a>.</p>"
            f"<ul>{rows}</ul><h2>Not here yet</h2><ul>{missing}</ul>"
            f"<h2>Docs</h2><p>In the <code>docs/</code> folder of the Callwright source:</p>"
            f"<ul>{docs}</ul></body></html>")
