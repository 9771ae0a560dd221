"""Fixtures shared by every suite: temporary workspaces and a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest



REPO = Path(__file__).resolve().parent.parent
EXAMPLE_WORKSPACE = REPO / "examples" / "workspace"


def _flow_doc(flow_id: str, blocks: dict, start: str | None = None, **extra) -> dict:
    return {"schema": "callwright/flow@1", "id": flow_id, "start": start or next(iter(blocks)),
            "blocks": blocks, **extra}


@pytest.fixture
def flow_doc() -> Callable[..., dict]:
    """Return a maker of flow documents: flow_doc(id, blocks, start=first block, **fields)."""
    return _flow_doc


@pytest.fixture
def example_workspace() -> Path:
    """Return the example workspace shipped in the repository."""
    return EXAMPLE_WORKSPACE


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Write flows (documents) and optional routes/settings into a fresh workspace folder."""
    def make(*flows: dict, routes: dict | None = None, toml: str | None = None) -> Path:
        root = tmp_path / "ws"
        (root / "flows").mkdir(parents=True, exist_ok=True)
        for doc in flows:
            (root / "flows" / f"{doc['id']}.json").write_text(json.dumps(doc), "utf-8")
        if routes is not None:
            (root / "routes.json").write_text(json.dumps(routes), "utf-8")
        if toml is not None:
            (root / "callwright.toml").write_text(toml, "utf-8")
        return root
    return make


class Recorder:
    """A scripted HTTP service: routes (method, path) to (status, JSON body, delay)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], tuple[int, object, float]] = {}
        self.requests: list[dict] = []
        self.url = ""

    def reply(self, method: str, path: str, status: int, body: object, delay: float = 0.0) -> None:
        """Answer METHOD PATH with a status and JSON body, after a delay."""
        self.routes[(method, path)] = (status, body, delay)


@pytest.fixture
def http_service() -> Recorder:
    """Start a real HTTP server on 127.0.0.1 (a free port) that answers as scripted."""
    recorder = Recorder()
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("content-length") or 0)
            recorder.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers),
                                      "body": self.rfile.read(length).decode() if length else ""})
            status, body, delay = recorder.routes.get((self.command, path), (404, {"error": "no route"}, 0))
            if delay:
                stop.wait(delay)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield recorder
    stop.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let flows call HTTP services on 127.0.0.1, as the tests' own services live there."""
    monkeypatch.setenv("CALLWRIGHT_HTTP_ALLOW", "127.0.0.0/8")
