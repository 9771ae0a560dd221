"""examples/adapters/messenger.py against a running `callwright serve`: signed both ways."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flows import SUPPORT
from serving import free_port, running_serve

from runtime.messaging.signing import verify

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "examples" / "adapters" / "messenger.py"
SECRET = "adapter-secret-for-tests"
WAIT_S = 60.0  # serve's worker polls its queue at most every second; a loaded machine is slower


class Adapter:
    """The example adapter as a process: lines in on stdin, JSON lines out on stdout."""

    def __init__(self, callwright: str, listen: str) -> None:
        env = {**os.environ, "CALLWRIGHT_WEBHOOKS_SECRET": SECRET}
        self.process = subprocess.Popen(
            [sys.executable, str(ADAPTER), "--callwright", callwright, "--listen", listen,
             "--to", "support", "--user", "tg:4711"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True)
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def say(self, text: str) -> None:
        """Write a message as the messenger's user."""
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def next(self) -> dict:
        """Return the adapter's next output line (bounded wait)."""
        try:
            return self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            pytest.fail(f"the adapter printed nothing within {WAIT_S:g} s; stderr: "
                        f"{self.process.stderr.read() if self.process.poll() is not None else ''}")

    def stop(self) -> str:
        """Close stdin (the adapter ends) and return what it wrote on stderr."""
        self.process.stdin.close()
        self.process.wait(10)
        errors = self.process.stderr.read()
        self.process.stdout.close()
        self.process.stderr.close()
        return errors


@pytest.fixture
def workspace(make_workspace) -> tuple[Path, str]:
    """Return a workspace routing `support` on the webhook, replies to the adapter's /hook."""
    listen = f"127.0.0.1:{free_port()}"
    toml = f"""
[webhooks]
secret = "{SECRET}"
url = "http://{listen}/hook"
[http]
allow = ["127.0.0.0/8"]
"""
    routes = {"schema": "callwright/routes@1", "webhook": {"support": "support"}}
    return make_workspace(SUPPORT, routes=routes, toml=toml), listen


def test_a_conversation_runs_through_the_example_adapter_signed_both_ways(workspace, tmp_path):
    root, listen = workspace
    with running_serve(root, log=tmp_path / "serve.log") as served:
        adapter = Adapter(served.base, listen)
        try:
            assert adapter.next() == {"listening": f"http://{listen}/hook"}
            adapter.say("hello")
            assert adapter.next() == {"to": "tg:4711", "text": "Hi, you wrote: hello"}
            assert adapter.next()["text"].startswith("Balance or bye?")
            adapter.say("1")  # the same conversation goes on
            assert adapter.next() == {"to": "tg:4711", "text": "Your balance is 42.00 EUR."}
            assert adapter.next()["text"].startswith("Balance or bye?")
        finally:
            errors = adapter.stop()
        assert errors == ""


def test_the_adapter_refuses_replies_not_signed_with_the_secret(workspace):
    _, listen = workspace
    adapter = Adapter("http://127.0.0.1:9", listen)
    try:
        assert "listening" in adapter.next()
        sys.path.insert(0, str(ADAPTER.parent))
        try:
            import messenger
        finally:
            sys.path.remove(str(ADAPTER.parent))
        body = json.dumps({"id": "k", "to": "tg:4711", "text": "signed"}).encode()
        verify(SECRET, messenger.sign(SECRET, body), body)  # the product's own scheme
        for header in (None, messenger.sign("another-secret", body),
                       messenger.sign(SECRET, body, stamp=1)):  # stale: a replay
            request = urllib.request.Request(f"http://{listen}/hook", data=body, method="POST",
                                             headers={messenger.HEADER: header} if header else {})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 401
            refused.value.close()
        good = urllib.request.Request(f"http://{listen}/hook", data=body, method="POST",
                                      headers={messenger.HEADER: messenger.sign(SECRET, body),
                                               "Idempotency-Key": "k"})
        for _ in range(2):  # a retried reply is shown once
            with urllib.request.urlopen(good, timeout=10) as answer:
                assert answer.status == 200
        assert adapter.next() == {"to": "tg:4711", "text": "signed"}
        assert adapter.lines.empty()
    finally:
        adapter.stop()
