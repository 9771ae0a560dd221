"""The editor's files: its page for `/` and its client routes, its hashed assets under `/assets/`.

The files are what `scripts/build-editor.sh` builds from `frontend/` into `builder/editor/` (the
wheel ships them). Without them `/` keeps the plain index page; these routes are not API routes.
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.security import safe_join

EDITOR_DIR = Path(__file__).resolve().parent.parent / "editor"
# the pages the editor routes to in the browser; each is answered with its index.html
CLIENT_ROUTES = ("/sign-in", "/flows", "/flows/<path:rest>", "/bots", "/bots/<path:rest>",
                 "/responses", "/responses/<path:rest>", "/audit")
ASSETS_MAX_AGE = 365 * 24 * 3600  # asset names carry their content hash: they never change

bp = Blueprint("editor", __name__)


def editor_dir(app: Flask | None = None) -> Path:
    """Return the folder the editor's built files are served from (`EDITOR_DIR` in the config)."""
    return Path((app or current_app).config.get("EDITOR_DIR") or EDITOR_DIR)


def is_built(app: Flask | None = None) -> bool:
    """Say whether the editor's files are there to serve."""
    return (editor_dir(app) / "index.html").is_file()


@lru_cache(maxsize=256)
def read(path: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """Return a built file's bytes and ETag (cached: a build writes new files, never edits them)."""
    data = Path(path).read_bytes()
    return data, sha256(data).hexdigest()[:32]


def file_response(folder: Path, name: str, cache_control: str) -> Response:
    """Answer one file of `folder` (404 when missing or outside it), revalidated by its ETag."""
    path = safe_join(str(folder), name)
    if path is None or not Path(path).is_file():
        abort(404)
    stat = Path(path).stat()
    data, etag = read(path, stat.st_mtime_ns, stat.st_size)
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = Response(data, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


def index_page() -> Response:
    """Answer with the editor's index.html, never cached: it names the current assets."""
    return file_response(editor_dir(), "index.html", "no-cache")


def client_route(rest: str = "") -> Response:
    """Answer a page of the editor's own routes with its index.html (the editor routes in place)."""
    if not is_built():
        abort(404)
    return index_page()


for number, rule in enumerate(CLIENT_ROUTES):
    bp.add_url_rule(rule, f"page_{number}", client_route, methods=["GET"])


@bp.get("/widget.js")
def widget() -> Response:
    """Answer the web-chat widget's script, which pages of any site load with one tag."""
    response = file_response(editor_dir(), "widget.js", "no-cache")
    # a page that isolates itself (Cross-Origin-Embedder-Policy) may load it too
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/assets/<path:name>")
def asset(name: str) -> Response:
    """Answer one of the editor's built files, cached for a year (a new build has new names)."""
    return file_response(editor_dir() / "assets", name,
                         f"public, max-age={ASSETS_MAX_AGE}, immutable")
