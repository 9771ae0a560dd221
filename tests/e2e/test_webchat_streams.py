"""Web-chat event streams across `serve`'s HTTP worker processes, on Redis pub/sub and on SQLite.

Several streams of one conversation are opened on a real `callwright serve` with two HTTP
workers (the kernel spreads the connections over both); the messages of a turn that ran on
either worker reach every stream, in order, once. (A push from the task worker, a third process,
is in test_webchat.py.)
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from pathlib import Path

import pytest

from serving import running_serve

ROOT = Path(__file__).resolve().parents[2]
STREAMS = 6


@pytest.fixture(params=["sqlite", "redis"])
def served(request, tmp_path):
    """Serve the example workspace with two HTTP workers, its chat messages on the backend."""
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples" / "workspace", workspace,
                    ignore=shutil.ignore_patterns(".callwright"))
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        with (workspace / "callwright.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[storage]\nredis_url = "{url}"\nsessions_url = "{url}"\n')
    with running_serve(workspace, "--workers", "2", log=tmp_path / "serve.log") as serve:
        yield serve


def post(port: int, body: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("POST", "/api/v1/webchat/web/messages", json.dumps(body),
                           {"Content-Type": "application/json"})
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()
        return json.loads(answer.read())
    finally:
        connection.close()


class Listener(threading.Thread):
    """One open event stream of a conversation, reading until it has `wanted` messages."""

    def __init__(self, port: int, conversation: str, after: int, wanted: int) -> None:
        super().__init__(daemon=True)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.connection.request("GET", f"/api/v1/webchat/web/conversations/{conversation}/"
                                       f"events?after={after}")
        self.answer = self.connection.getresponse()
        assert self.answer.status == 200
        self.wanted = wanted
        self.messages: list[dict] = []

    def run(self) -> None:
        while len(self.messages) < self.wanted:
            line = self.answer.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                self.messages.append(json.loads(line[6:]))

    def close(self) -> None:
        self.connection.close()


def test_every_stream_of_a_conversation_gets_each_new_message_once_in_order(served):
    first = post(served.port, {"text": "hello"})
    conversation = first["conversation"]
    after = first["messages"][-1]["id"]
    listeners = [Listener(served.port, conversation, after, 3) for _ in range(STREAMS)]
    for listener in listeners:
        listener.start()
    try:
        second = post(served.port, {"text": "Opening hours", "conversation": conversation})
        for listener in listeners:
            listener.join(20)
        for listener in listeners:
            assert listener.messages == second["messages"]
    finally:
        for listener in listeners:
            listener.close()
