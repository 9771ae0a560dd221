"""`callwright serve` as a real process: granian serving the API over HTTP, stopped by signal."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

FLOW = {"schema": "callwright/flow@1", "id": "support-bot", "start": "hello",
        "blocks": {"hello": {"type": "say", "config": {"text": "Hello {{ trigger.text }}."},
                             "exits": {"next": "menu"}},
                   "menu": {"type": "menu",
                            "config": {"prompt": "Say 1 to finish.",
                                       "options": [{"key": "1", "label": "Finish", "exit": "done"}]},
                            "exits": {"done": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye."}}}}
START_TIMEOUT_S = 120  # normally ~2 s; a loaded shared machine has taken over 60 s to import


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_workspace(root: Path, toml: str = "") -> Path:
    """Write a workspace with the support-bot flow (and a callwright.toml when given)."""
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "support-bot.json").write_text(json.dumps(FLOW), "utf-8")
    if toml:
        (root / "callwright.toml").write_text(toml, "utf-8")
    return root


def command(*args: str) -> list[str]:
    """Return the argv running the installed `callwright` console script (or its module)."""
    script = shutil.which("callwright", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script, *args]
    return [sys.executable, "-c", "from builder.cli import main; main()", *args]


def stop(process: subprocess.Popen) -> int:
    """Stop a server by its PID: SIGTERM, then SIGKILL after 5 s; return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


def call(url: str, body: dict | None = None) -> tuple[int, dict]:
    """Send a GET (or a JSON POST with `body`) and return (status, parsed JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def wait_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    """Wait (bounded) until /api/v1/health answers; fail with the log if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if call(f"{base}/api/v1/health") == (200, {"status": "ok"}):
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not answer within {START_TIMEOUT_S}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start `callwright serve --workers 2` on a free port; yield (base URL, process, log)."""
    root = make_workspace(tmp_path_factory.mktemp("served"))
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command("serve", "--workspace", str(root), "--port", str(port), "--workers", "2",
                    "--sip", "127.0.0.1:5099"),
            stdout=out, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log)
        yield base, process, log
    finally:
        stop(process)


def test_serve_prints_the_url_and_that_sip_is_not_started(server) -> None:
    base, _, log = server
    text = log.read_text()
    assert f"{base}/" in text
    assert "SIP on 127.0.0.1:5099 is not started yet" in text
    assert "granian" in text  # the production server, not Flask's development server


def test_a_chat_conversation_runs_over_real_http(server) -> None:
    base, _, _ = server
    url = f"{base}/api/v1/chat/support-bot/messages"
    status, first = call(url, {"text": "there"})
    assert status == 200
    assert [r["text"] for r in first["replies"] if r["event"] == "say"] == ["Hello there."]
    assert first["ended"] is False
    # the next turn may land on the other worker: the session is in the shared store
    status, last = call(url, {"session": first["session"], "text": "1"})
    assert status == 200
    assert last["ended"] is True
    assert [r["text"] for r in last["replies"] if r["event"] == "say"] == ["Bye."]


def test_errors_over_http_are_the_json_envelope(server) -> None:
    base, _, _ = server
    status, body = call(f"{base}/api/v1/chat/nope/messages", {"text": "hi"})
    assert status == 404
    assert body["error"]["code"] == "flow_not_found"
    status, body = call(f"{base}/api/v1/chat/support-bot/messages", {"text": 7})
    assert status == 400
    assert body["error"]["details"][0]["pointer"] == "/text"


def test_sigterm_stops_the_server_cleanly_and_frees_the_port(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command("serve", "--workspace", str(root), "--port", str(port)),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        stop(process)
    with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_addresses_come_from_settings_and_the_workspace_defaults_to_cwd(tmp_path: Path) -> None:
    port = free_port()
    root = make_workspace(tmp_path / "ws", f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
                                           '[sip]\nlisten = "127.0.0.1:5071"\n')
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command("serve"), stdout=out, stderr=subprocess.STDOUT, cwd=root)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        status, turn = call(f"http://127.0.0.1:{port}/api/v1/chat/support-bot/messages",
                            {"text": "you"})
        assert status == 200 and turn["replies"][0]["text"] == "Hello you."
    finally:
        assert stop(process) == 0
    text = log.read_text()
    assert "1 live flow: support-bot" in text
    assert "SIP on 127.0.0.1:5071 is not started yet" in text


def test_bad_settings_stop_serve_before_it_listens(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, "[server]\nport = 0\n")
    result = subprocess.run(command("serve", "--workspace", str(root)), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "callwright.toml" in result.stderr and "/server/port" in result.stderr


def test_a_bad_sip_address_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(command("serve", "--workspace", str(tmp_path), "--sip", "nowhere"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "HOST:PORT" in result.stderr
