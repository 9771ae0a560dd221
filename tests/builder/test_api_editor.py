"""The editor's files: index.html for `/` and the client routes, hashed assets cached for long."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from builder.api import editor

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGE = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'


@pytest.fixture
def editor_files(tmp_path: Path) -> Path:
    """Return a folder laid out as the editor's build is: index.html and assets/."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(PAGE, "utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('editor')", "utf-8")
    return tmp_path


@pytest.fixture
def client(workspace_app, front_door, editor_files: Path):
    """Return a client of an app serving those editor files, as WSGI and as `serve` runs it."""
    app = workspace_app()
    app.config["EDITOR_DIR"] = str(editor_files)
    return front_door(app)


def test_a_browser_asking_for_the_front_page_gets_the_editor_never_cached(client) -> None:
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.data.decode("utf-8") == PAGE
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Accept" in response.headers["Vary"]


def test_a_program_asking_for_the_front_page_still_gets_the_api_index(client) -> None:
    for accept in (None, "*/*", "application/json"):
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200 and response.mimetype == "application/json", accept
        body = response.get_json()
        assert body == client.get("/api/v1").get_json()
        assert "editor" not in body["not_yet"]  # it is served here


@pytest.mark.parametrize("path", ["/flows", "/flows/support-line", "/flows/a.b-c_d", "/sign-in",
                                  "/audit"])
def test_every_page_of_the_editor_is_its_index_html(client, path: str) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.data.decode("utf-8") == PAGE
    assert response.headers["Cache-Control"] == "no-cache"


def test_assets_are_served_with_a_year_long_immutable_cache(client) -> None:
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.data == b"console.log('editor')"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/assets/missing.js", "/assets/../index.html",
                                  "/assets/%2e%2e/index.html"])
def test_an_unknown_or_escaping_asset_is_a_404(client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_api_routes_are_not_taken_by_the_editor(client) -> None:
    response = client.get("/api/v1/flows-that-do-not-exist")
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_without_the_editor_files_its_pages_are_404_and_the_front_page_is_the_plain_index(
        workspace_app, front_door, tmp_path: Path) -> None:
    app = workspace_app()
    app.config["EDITOR_DIR"] = str(tmp_path / "missing")
    client = front_door(app)
    assert client.get("/flows", headers={"Accept": BROWSER}).status_code == 404
    assert client.get("/assets/index-abc123.js").status_code == 404
    page = client.get("/", headers={"Accept": BROWSER}).data.decode("utf-8")
    assert "Editor: not served yet" in page and "scripts/build-editor.sh" in page


def test_the_installed_package_ships_the_built_editor_and_every_asset_its_page_names() -> None:
    shipped = resources.files("builder").joinpath("editor")
    page = shipped.joinpath("index.html")
    assert page.is_file(), "builder/editor/index.html is not in the installed package: " \
                           "scripts/install.sh builds it (scripts/build-editor.sh) before pip install"
    names = re.findall(r'(?:src|href)="/assets/([^"]+)"', page.read_text("utf-8"))
    assert names, "the editor's page names no assets"
    for name in names:
        assert shipped.joinpath("assets", name).is_file(), f"assets/{name} is not shipped"
    assert editor.EDITOR_DIR.name == "editor"


def test_a_browser_revalidating_an_unchanged_file_gets_a_304(client) -> None:
    etag = client.get("/assets/index-abc123.js").headers["ETag"]
    again = client.get("/assets/index-abc123.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
