"""A real `callwright serve`: local mode on loopback, the refusal of a public address without
users, and signing in over HTTP once a user exists."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from serving import callwright_command as command
from serving import free_port, running_serve, stop

FLOW = {"schema": "callwright/flow@1", "id": "hello", "start": "hi",
        "blocks": {"hi": {"type": "say", "config": {"text": "Hello."}, "exits": {"next": "end"}},
                   "end": {"type": "end", "config": {}}}}
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15  # after SIGTERM (a loaded machine is slow), and again after SIGKILL


def workspace(root: Path) -> Path:
    """Write a workspace with one flow."""
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "hello.json").write_text(json.dumps(FLOW), "utf-8")
    return root


def request(port: int, method: str, path: str, body: object = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], object]:
    """Send one request over a new connection; return (status, headers, JSON or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Connection": "close", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        answer = json.loads(raw) if raw else None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    finally:
        connection.close()


@contextmanager
def serving(root: Path, *options: str) -> Iterator[tuple[int, Path]]:
    """Run serve on a free loopback port until the block ends; yield (port, its log)."""
    with running_serve(root, "--no-worker", *options, log=root / "serve.log",
                       timeout=START_TIMEOUT_S, stop_timeout=STOP_TIMEOUT_S) as served:
        yield served.port, served.log


def add_user(root: Path, name: str, role: str, password: str) -> None:
    """Add a user with `callwright user add ... --password-stdin`."""
    done = subprocess.run(command("user", "add", name, "--role", role, "--password-stdin",
                                  "--workspace", str(root)),
                          input=password + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def public_address() -> str:
    """Return an address of this machine that is not loopback (0.0.0.0 when it has none)."""
    done = subprocess.run(["hostname", "-I"], capture_output=True, text=True)
    for address in done.stdout.split():
        if "." in address and not address.startswith("127."):
            return address
    return "0.0.0.0"


def test_local_mode_says_so_and_lets_this_machine_in_as_admin_with_the_csrf_token(tmp_path):
    root = workspace(tmp_path / "ws")
    with serving(root, "--workers", "2") as (port, log):
        assert "Local mode: this workspace has no users" in log.read_text()
        tokens = set()
        for _ in range(6):  # new connections: both workers answer, with the same token
            status, _, body = request(port, "GET", "/api/v1/session")
            assert status == 200 and body["local_mode"] is True
            assert body["user"]["role"] == "admin"
            tokens.add(body["csrf_token"])
        assert len(tokens) == 1
        assert request(port, "GET", "/api/v1/flows")[0] == 200
        refused = request(port, "POST", "/api/v1/tokens", {"name": "ci", "role": "editor"})
        assert refused[0] == 403 and refused[2]["error"]["code"] == "csrf_failed"
        csrf = {"X-CSRF-Token": tokens.pop()}
        for _ in range(4):  # whichever worker answers takes it
            assert request(port, "POST", "/api/v1/tokens", {"name": "ci", "role": "editor"},
                           csrf)[0] == 201
        # another site's page: the Host it names is not this machine's
        rebound = request(port, "GET", "/api/v1/flows", headers={"Host": f"evil.test:{port}"})
        assert rebound[0] == 401


@pytest.mark.parametrize("host", ["0.0.0.0", public_address()])
def test_serve_refuses_an_address_that_is_not_loopback_while_there_are_no_users(tmp_path, host):
    root = workspace(tmp_path / "ws")
    port = free_port()
    done = subprocess.run(command("serve", "--workspace", str(root), "--host", host,
                                  "--port", str(port), "--no-worker"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"this workspace has no users, and {host} is not a loopback address" in done.stderr
    assert "callwright user add NAME --role admin" in done.stderr
    assert "Callwright serving" not in done.stdout
    with socket.socket() as probe:  # refused before binding: the port is still free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def test_bad_trusted_proxies_stop_serve_before_it_listens(tmp_path):
    root = workspace(tmp_path / "ws")
    (root / "callwright.toml").write_text('[server]\ntrusted_proxies = ["not-a-network"]\n')
    done = subprocess.run(command("serve", "--workspace", str(root), "--port", str(free_port()),
                                  "--no-worker"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "error: [server] trusted_proxies: 'not-a-network'" in done.stderr
    assert "Traceback" not in done.stderr and "Callwright serving" not in done.stdout


def test_with_a_user_sign_in_is_required_and_works_over_http(tmp_path):
    root = workspace(tmp_path / "ws")
    add_user(root, "anna", "admin", "anna-password-1")
    with serving(root) as (port, log):
        assert "Local mode" not in log.read_text()
        status, headers, body = request(port, "GET", "/api/v1/flows")
        assert status == 401 and body["error"]["code"] == "sign_in_required"
        assert headers["www-authenticate"].startswith("Bearer")
        status, headers, body = request(port, "POST", "/api/v1/session",
                                        {"name": "anna", "password": "anna-password-1"})
        assert status == 200 and body["user"]["name"] == "anna"
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        jar = {"Cookie": cookie.split(";")[0]}
        assert request(port, "GET", "/api/v1/flows", headers=jar)[0] == 200
        refused = request(port, "POST", "/api/v1/tokens", {"name": "x", "role": "viewer"}, jar)
        assert refused[0] == 403 and refused[2]["error"]["code"] == "csrf_failed"
        made = request(port, "POST", "/api/v1/tokens", {"name": "x", "role": "viewer"},
                       {**jar, "X-CSRF-Token": body["csrf_token"]})
        assert made[0] == 201
        bearer = {"Authorization": f"Bearer {made[2]['token']}"}
        assert request(port, "GET", "/api/v1/flows", headers=bearer)[0] == 200
        assert request(port, "DELETE", "/api/v1/session", headers={
            **jar, "X-CSRF-Token": body["csrf_token"]})[0] == 204
        assert request(port, "GET", "/api/v1/flows", headers=jar)[0] == 401
        # a chat turn needs nobody signed in
        status, _, turn = request(port, "POST", "/api/v1/chat/hello/messages", {"text": "hi"})
        assert status == 200 and turn["replies"][0]["text"] == "Hello.", turn


def test_a_public_address_serves_once_a_user_exists(tmp_path):
    root = workspace(tmp_path / "ws")
    add_user(root, "anna", "admin", "anna-password-1")
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command("serve", "--workspace", str(root), "--host", "0.0.0.0",
                                           "--port", str(port), "--sip", "127.0.0.1:0",
                                           "--no-worker"),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Callwright serving" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        stop(process, STOP_TIMEOUT_S)
    assert "Local mode" not in log.read_text()
