"""A conversation's turn when `callwright serve` is stopped in the middle of it: nothing is lost."""

from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from serving import running_serve

from runtime.messaging.signing import SIGNATURE_HEADER, sign
from runtime.sessions import open_session_store
from runtime.tasks import open_queue, task_config

SECRET = "e2e-secret"
WAIT_S = 60.0


class HeldService:
    """A JSON service on 127.0.0.1 that holds each request until released."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()
        service = self

        class Held(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                service.arrived.set()
                service.released.wait(WAIT_S)
                body = b'{"n": 21}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the turn's process is gone

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Held)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/account"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> HeldService:
    held = HeldService()
    yield held
    held.close()


def lookup_flow(url: str) -> dict:
    """Return a flow whose first turn waits on an HTTP call, then answers and waits."""
    return {"schema": "callwright/flow@1", "id": "lookup", "start": "fetch",
            "blocks": {"fetch": {"type": "http",
                                 "config": {"method": "GET", "url": url, "timeout_s": 30,
                                            "variable": "vars.found"},
                                 "exits": {"success": "tell", "failure": "tell",
                                           "timeout": "tell", "error": "tell"}},
                       "tell": {"type": "say", "config": {"text": "Looked it up."},
                                "exits": {"next": "menu"}},
                       "menu": {"type": "menu",
                                "config": {"prompt": "More?",
                                           "options": [{"key": "1", "label": "Yes",
                                                        "exit": "again"}]},
                                "exits": {"again": "tell"}}}}


def post(base: str, body: bytes) -> tuple[int, dict]:
    """POST a signed webhook message; return the status and JSON answer."""
    request = urllib.request.Request(f"{base}/api/v1/channels/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              SIGNATURE_HEADER: sign(SECRET, body)})
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)


def test_sigterm_in_the_middle_of_a_turn_loses_neither_the_message_nor_its_replies(
        make_workspace, service, tmp_path: Path):
    toml = f"""
[webhooks]
secret = "{SECRET}"
url = "http://127.0.0.1:9/hook"
[http]
allow = ["127.0.0.0/8"]
"""
    routes = {"schema": "callwright/routes@1", "webhook": {"support": "lookup"}}
    root = make_workspace(lookup_flow(service.url), routes=routes, toml=toml)
    body = json.dumps({"id": "m-1", "from": "tg:4711", "to": "support", "text": "hi"}).encode()
    first: list[object] = []
    with running_serve(root, "--no-worker", log=tmp_path / "serve-1.log") as served:
        sender = threading.Thread(target=lambda: first.append(_outcome(served.base, body)))
        sender.start()
        assert service.arrived.wait(WAIT_S), "the turn never reached its HTTP call"
        served.process.send_signal(signal.SIGTERM)  # mid-turn
        threading.Timer(0.5, service.released.set).start()
        sender.join(WAIT_S)
        served.process.wait(WAIT_S)
    # the sender got an answer or an error; either way it redelivers what it is not sure of
    with running_serve(root, "--no-worker", log=tmp_path / "serve-2.log") as served:
        status, again = post(served.base, body)
    assert status == 200, (first, again)
    sessions = open_session_store(f"sqlite:///{root / '.callwright' / 'sessions.sqlite3'}")
    queue = open_queue(task_config(root))
    try:
        session = sessions.get(again["session"])
        assert session is not None and session.turns == 1, (first, again)  # ran once, not twice
        keys = [f"{session.id}.1.reply.{n}" for n in (1, 2, 3)]
        rows = [queue.ledger.get(key) for key in keys]
        assert [row is not None for row in rows] == [True, True, False], (first, again)
    finally:
        queue.close()
        sessions.close()


def _outcome(base: str, body: bytes) -> object:
    """Return the first delivery's status and answer, or the error that ended it."""
    try:
        return post(base, body)
    except OSError as exc:  # the connection closed under it
        return repr(exc)
