"""`callwright serve` as a real process: granian serving the API over HTTP, stopped by signal."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import START_TIMEOUT_S, free_port, running_serve, stop, wait_healthy
from serving import callwright_command as command

FLOW = {"schema": "callwright/flow@1", "id": "support-bot", "start": "hello",
        "blocks": {"hello": {"type": "say", "config": {"text": "Hello {{ trigger.text }}."},
                             "exits": {"next": "menu"}},
                   "menu": {"type": "menu",
                            "config": {"prompt": "Say 1 to finish.",
                                       "options": [{"key": "1", "label": "Finish",
                                                    "exit": "done"}]},
                            "exits": {"done": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye."}}}}
STOP_TIMEOUT_S = 5  # after SIGTERM, and again after SIGKILL
TOKEN = "api-token-0123456789abcdef"
CONTACT = "+4915112345678"
OURS = "+4930999000"
LINE = "+4930123456"
REMINDER = {"schema": "callwright/flow@1", "id": "reminder", "start": "ask",
            "blocks": {"ask": {"type": "menu",
                               "config": {"prompt": "Your order is ready. Collect today?",
                                          "options": [{"key": "1", "label": "Yes", "exit": "yes"}]},
                               "exits": {"yes": "confirmed"}},
                       "confirmed": {"type": "end", "config": {"text": "See you today.",
                                                               "disposition": "confirmed"}}}}
ROUTES = {"schema": "callwright/routes@1", "sms": {OURS: "reminder"}, "voice": {LINE: "reminder"}}
SAYS_YES = [{"name": "yes", "actions": [{"digits": "1", "after_s": 0.5}]}]


def make_workspace(root: Path, toml: str = "") -> Path:
    """Write a workspace with the support-bot flow (and a callwright.toml when given)."""
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "support-bot.json").write_text(json.dumps(FLOW), "utf-8")
    if toml:
        (root / "callwright.toml").write_text(toml, "utf-8")
    return root


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    """Send a GET (or a JSON POST with `body`), maybe with a bearer token; return (status, JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start `callwright serve --workers 2` on a free port; yield (base URL, process, log)."""
    root = make_workspace(tmp_path_factory.mktemp("served"))
    with running_serve(root, "--workers", "2", "--sip", "127.0.0.1:5099", log=root / "serve.log",
                       cwd=root, stop_timeout=STOP_TIMEOUT_S) as served_:
        yield served_.base, served_.process, served_.log


def test_serve_prints_what_it_serves_and_what_it_does_not_yet(server) -> None:
    base, _, log = server
    text = log.read_text()
    assert f"at {base}/: the REST API, web chat turns and inbound webhooks under {base}/api/v1 " \
           f"(described by {base}/api/v1/openapi.json)" in text
    assert f"The flow editor is at {base}/" in text
    assert "Voice node running (PID " in text and "SIP on udp:127.0.0.1:5099" in text
    assert "granian" in text  # the production server, not Flask's development server


def test_the_front_page_says_where_the_api_is(server) -> None:
    base, _, _ = server
    status, body = call(f"{base}/")
    assert status == 200 and body["openapi"] == "/api/v1/openapi.json"
    assert call(f"{base}/api/v1") == (200, body)


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


SLOW_LOOKUP = {"schema": "callwright/flow@1", "id": "slow-lookup", "start": "lookup",
               "blocks": {"lookup": {"type": "http",
                                     "config": {"method": "GET", "url": "{{ trigger.text }}",
                                                "timeout_s": 10, "variable": "vars.found"},
                                     "exits": {"success": "double", "failure": "bye",
                                               "timeout": "bye", "error": "bye"}},
                          "double": {"type": "script", "config": {
                                         "code": "vars['n'] = vars['found']['body']['n'] * 2"},
                                     "exits": {"next": "bye", "error": "bye"}},
                          "bye": {"type": "end", "config": {"text": "n={{ vars.n }}"}}}}


class SlowService:
    """A JSON service on 127.0.0.1 that answers {"n": 21} after `delay_s`, to many at once.

    With `release_at`, every request is held until that many are in hand at once (or `delay_s`
    passed); `most_at_once` tells how many it held together.
    """

    def __init__(self, delay_s: float, release_at: int | None = None) -> None:
        import http.server
        import threading

        held = threading.Condition()
        self.most_at_once = 0
        in_hand = 0
        service = self

        class Slow(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                nonlocal in_hand
                with held:
                    in_hand += 1
                    service.most_at_once = max(service.most_at_once, in_hand)
                    held.notify_all()
                    if release_at is None:
                        held.wait(delay_s)
                    else:
                        held.wait_for(lambda: service.most_at_once >= release_at, delay_s)
                    in_hand -= 1
                body = b'{"n": 21}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256  # listen backlog: every turn connects at once

        self.server = Server(("127.0.0.1", 0), Slow)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_service():
    service = SlowService(delay_s=2)
    yield service
    service.close()


def slow_workspace(root: Path) -> Path:
    make_workspace(root, '[http]\nallow = ["127.0.0.0/8"]\n')
    (root / "flows" / "slow-lookup.json").write_text(json.dumps(SLOW_LOOKUP), "utf-8")
    return root


def test_a_turn_waiting_on_a_slow_service_does_not_hold_up_the_worker(tmp_path: Path,
                                                                       slow_service) -> None:
    import threading

    with served(slow_workspace(tmp_path / "ws"), "--workers", "1", "--no-worker") as (base, _,
                                                                                    log):
        slow: dict = {}
        waiting = threading.Thread(target=lambda: slow.update(zip(
            ("status", "body"), call(f"{base}/api/v1/chat/slow-lookup/messages",
                                     {"text": slow_service.url}))))
        waiting.start()
        time.sleep(0.5)  # the slow turn is waiting on the service now
        started = time.monotonic()
        status, quick = call(f"{base}/api/v1/chat/support-bot/messages", {"text": "there"})
        answered_in = time.monotonic() - started
        assert status == 200 and not slow, log.read_text()
        assert answered_in < 1.0  # not behind the slow turn, on the one worker there is
        waiting.join(15)
        assert slow["status"] == 200, slow
        says = [r["text"] for r in slow["body"]["replies"] if r["event"] == "say"]
        assert says == ["n=42"]  # the HTTP answer, doubled by a script in the sandbox pool


def test_one_worker_carries_hundreds_of_turns_waiting_on_a_service_at_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # the service holds every request until all 300 are in hand: turns let through in rounds
    # (of 64 requests, or of 100 outbound connections, before) would never all be
    service = SlowService(delay_s=9, release_at=300)
    try:
        with served(slow_workspace(tmp_path / "ws"), "--workers", "1", "--no-worker") as (
                base, _, log):
            url = f"{base}/api/v1/chat/slow-lookup/messages"
            with ThreadPoolExecutor(300) as pool:
                answers = list(pool.map(lambda _: call(url, {"text": service.url}), range(300)))
    finally:
        service.close()
    assert [status for status, _ in answers] == [200] * 300, log.read_text()
    assert service.most_at_once == 300


def test_errors_over_http_are_the_json_envelope(server) -> None:
    base, _, _ = server
    status, body = call(f"{base}/api/v1/chat/nope/messages", {"text": "hi"})
    assert status == 404
    assert body["error"]["code"] == "flow_not_found"
    status, body = call(f"{base}/api/v1/chat/support-bot/messages", {"text": 7})
    assert status == 400
    assert body["error"]["details"][0]["pointer"] == "/text"


def post_raw(base: str, path: str, body: bytes, *, chunk: int | None = None) -> tuple[int, dict]:
    """POST bytes over a socket of our own, chunked in pieces of `chunk` bytes when given.

    The body goes out on a thread while the answer is read: a server may answer (a 413) before
    it has read all of it, and stop reading.
    """
    url = urllib.parse.urlsplit(base)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Content-Type: application/json",
            "Connection: close"]
    if chunk is None:
        head.append(f"Content-Length: {len(body)}")
        payload = body
    else:
        head.append("Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[at:at + chunk]), body[at:at + chunk])
                           for at in range(0, len(body), chunk)) + b"0\r\n\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        def send() -> None:
            with contextlib.suppress(OSError):  # the server answered and stopped reading
                sock.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + payload)
        sender = threading.Thread(target=send)
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = json.loads(response.read())
        sender.join(30)
    return response.status, answer


CHAT = "/api/v1/chat/support-bot/messages"


@pytest.mark.parametrize("chunk", [None, 16 * 1024], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_a_413_over_real_http_whatever_its_framing(server,
                                                                           chunk) -> None:
    base, _, _ = server
    body = b" " * (3 * 1024 * 1024) + b'{"text": "hi"}'  # 3 MB where 64 KB is the limit
    status, answer = post_raw(base, CHAT, body, chunk=chunk)
    assert (status, answer["error"]["code"]) == (413, "request_entity_too_large")
    flow = json.dumps(FLOW).encode()
    big = b" " * (4 * 1024 * 1024 + 1 - len(flow)) + flow  # a flow one byte over 4 MB
    status, answer = post_raw(base, "/api/v1/flows/support-bot/validate", big, chunk=chunk)
    assert (status, answer["error"]["code"]) == (413, "request_entity_too_large")


def test_a_chunked_body_within_the_limit_is_read_whole_over_real_http(server) -> None:
    base, _, _ = server
    body = b'{"text": "there"}' + b" " * (60 * 1024)
    status, answer = post_raw(base, CHAT, body, chunk=1000)
    assert status == 200
    assert [r["text"] for r in answer["replies"] if r["event"] == "say"] == ["Hello there."]
    flow = json.dumps(FLOW).encode()
    status, answer = post_raw(base, "/api/v1/flows/support-bot/validate",
                              b" " * (3 * 1024 * 1024) + flow, chunk=64 * 1024)
    assert (status, answer) == (200, {"ok": True, "problems": []})


@pytest.mark.parametrize("body, pointer", [
    (b'{"text": "\\ud800"}', "/text"),
    (b'{"session": ' + b"1" * 5000 + b', "text": "hi"}', "/session"),
])
def test_what_a_chat_message_cannot_hold_is_a_400_over_real_http(server, body: bytes,
                                                                 pointer: str) -> None:
    base, _, _ = server
    status, answer = post_raw(base, CHAT, body, chunk=7)
    assert status == 400
    assert answer["error"]["details"][0]["pointer"] == pointer


def test_sigterm_stops_the_server_cleanly_and_frees_the_port(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # its voice node on a free port too: the machine may run SIP on 5060
        process = subprocess.Popen(command("serve", "--workspace", str(root), "--port", str(port),
                                           "--sip", "127.0.0.1:0"),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        stop(process, STOP_TIMEOUT_S)
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
        assert stop(process, STOP_TIMEOUT_S) == 0
    text = log.read_text()
    assert "1 live flow: support-bot" in text
    assert "SIP on udp:127.0.0.1:5071" in text


def test_bad_settings_stop_serve_before_it_listens(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, "[server]\nport = 0\n")
    result = subprocess.run(command("serve", "--workspace", str(root)), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "callwright.toml" in result.stderr and "/server/port" in result.stderr


def test_a_bad_sip_address_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(command("serve", "--workspace", str(tmp_path), "--sip", "nowhere"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "HOST:PORT" in result.stderr


# --- the task worker serve runs as its child ---------------------------------------------------

def make_messaging_workspace(root: Path, gateway_url: str, toml: str = "") -> Path:
    """Write a workspace whose reminder flow runs on SMS and emulated ports (the callee says 1)."""
    make_workspace(root, f"""
[webhooks]
secret = "webhook-secret-for-tests"
[api]
tokens = ["{TOKEN}"]
[tasks]
immediate = false
retries = 1
retry_delay_s = 0
[http]
allow = ["127.0.0.0/8"]
[sms]
gateway = "{gateway_url}"
from = "{OURS}"
[voice]
ports = 2
speed = 50
callers = "callers.json"
{toml}""")
    (root / "flows" / "reminder.json").write_text(json.dumps(REMINDER), "utf-8")
    (root / "routes.json").write_text(json.dumps(ROUTES), "utf-8")
    (root / "callers.json").write_text(json.dumps(SAYS_YES), "utf-8")
    return root


@contextlib.contextmanager
def served(root: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """Run `callwright serve` on a free port until the block ends; yield (base, process, log)."""
    port = free_port()
    with running_serve(root, *options, port=port, log=root.parent / f"serve-{port}.log", cwd=root,
                       stop_timeout=STOP_TIMEOUT_S) as served_:
        yield served_.base, served_.process, served_.log


def worker_children(process: subprocess.Popen) -> list[int]:
    """Return the PIDs of the `callwright worker` children of a serve process."""
    listing = subprocess.run(["ps", "--ppid", str(process.pid), "-o", "pid=,args="],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    return [int(line.split()[0]) for line in listing.splitlines()
            if "builder.cli worker" in line]


def is_running(pid: int) -> bool:
    """Return whether a process with this PID exists (and is not a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def survivors(pids: list[int]) -> dict[int, str]:
    """Return the command line of each of these processes still running."""
    lines = {}
    for pid in filter(is_running, pids):
        try:
            lines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return lines


def start_sms(base: str) -> dict:
    """Start an SMS execution of the reminder flow through the API; return its body."""
    status, body = call(f"{base}/api/v1/flows/reminder/executions",
                        {"channel": "sms", "to": CONTACT}, token=TOKEN)
    assert status == 202, body
    return body


def test_serve_runs_one_worker_that_delivers_a_queued_sms(tmp_path, gateway) -> None:
    root = make_messaging_workspace(tmp_path / "ws", gateway.url)
    with served(root, "--workers", "2") as (base, process, log):
        start_sms(base)
        assert gateway.wait_for(1, START_TIMEOUT_S), f"no SMS was delivered:\n{log.read_text()}"
        assert len(worker_children(process)) == 1  # however many HTTP workers granian runs
    message = json.loads(gateway.requests[0]["body"])
    assert (message["from"], message["to"]) == (OURS, CONTACT)
    assert message["text"].startswith("Your order is ready. Collect today?")
    assert re.search(r"Task worker running \(PID \d+\) on the queue at .*tasks\.sqlite3",
                     log.read_text())


def publish_over_http(base: str, doc: dict) -> None:
    """Save a flow's draft and publish it through the API, as the editor does (admin token)."""
    def send(method: str, path: str, body: dict | None, etag: str | None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        if etag:
            headers["If-Match"] = etag
        request = urllib.request.Request(f"{base}/api/v1{path}", method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {"etag": response.headers.get("ETag")}
    _, read = send("GET", f"/flows/{doc['id']}/draft", None, None)
    _, saved = send("PUT", f"/flows/{doc['id']}/draft", doc, read["etag"])
    status, _ = send("POST", f"/flows/{doc['id']}/publish", {"note": "new prompt"}, saved["etag"])
    assert status == 201


def test_a_campaign_the_worker_starts_runs_the_version_published_since_it_started(
        tmp_path, gateway) -> None:
    root = make_messaging_workspace(tmp_path / "ws", gateway.url)
    changed = json.loads(json.dumps(REMINDER))
    changed["blocks"]["ask"]["config"]["prompt"] = "Your parcel is here. Collect today?"
    with served(root) as (base, _, log):
        start_sms(base)  # once it is delivered, the worker runs, with the flows as they were
        assert gateway.wait_for(1, START_TIMEOUT_S), f"no SMS was sent:\n{log.read_text()}"
        publish_over_http(base, changed)
        status, body = call(f"{base}/api/v1/campaigns", {
            "flow": "reminder", "channel": "sms", "concurrency": 1, "contacts": [{"to": CONTACT}]},
            token=TOKEN)
        assert status == 202, body
        assert gateway.wait_for(2, START_TIMEOUT_S), f"no SMS was sent:\n{log.read_text()}"
    message = json.loads(gateway.requests[1]["body"])
    assert message["text"].startswith("Your parcel is here. Collect today?")


def test_serve_places_a_queued_voice_call_on_its_voice_node_and_runs_it_to_its_disposition(
        tmp_path, gateway) -> None:
    root = make_messaging_workspace(tmp_path / "ws", gateway.url)
    # no task worker: the voice node owns the lines, so it is the one that places the call
    with served(root, "--no-worker") as (base, _, log):
        status, body = call(f"{base}/api/v1/flows/reminder/executions",
                            {"channel": "voice", "to": CONTACT}, token=TOKEN)
        assert (status, body["status"]) == (202, "queued")
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            status, found = call(f"{base}/api/v1/executions/{body['execution']}", token=TOKEN)
            assert status == 200
            if found["status"] == "ended":
                break
            assert time.monotonic() < deadline, f"the call did not end:\n{log.read_text()}"
            time.sleep(0.1)
        assert "placing outbound calls on emulator" in log.read_text()
    assert (found["channel"], found["disposition"]) == ("voice", "confirmed")


@pytest.mark.parametrize(("options", "toml", "why"),
                         [(["--no-worker"], "", "--no-worker"),
                          ([], "[server]\nworker = false\n", "[server] worker = false")],
                         ids=["option", "setting"])
def test_without_its_worker_serve_leaves_messages_queued(tmp_path, gateway, options, toml,
                                                         why) -> None:
    root = make_messaging_workspace(tmp_path / "ws", gateway.url, toml)
    with served(root, *options) as (base, process, log):
        start_sms(base)
        assert not gateway.wait_for(1, 2.0)
        assert worker_children(process) == []
    assert f"No task worker ({why}): tasks queued at {root}" in log.read_text()


def test_an_immediate_queue_needs_no_worker(tmp_path) -> None:
    root = make_workspace(tmp_path / "ws", "[tasks]\nimmediate = true\n")
    with served(root) as (_, process, log):
        assert worker_children(process) == []
    assert "No task worker: [tasks] immediate is true" in log.read_text()


def test_sigterm_to_serve_stops_its_worker_too(tmp_path) -> None:
    with served(make_workspace(tmp_path / "ws")) as (_, process, log):
        [worker] = worker_children(process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    deadline = time.monotonic() + 10
    while is_running(worker):
        assert time.monotonic() < deadline, f"worker {worker} still runs:\n{log.read_text()}"
        time.sleep(0.1)
    assert "error: the task worker" not in log.read_text()  # stopped by serve, not died


def test_serve_killed_outright_takes_its_http_workers_task_worker_and_voice_node_with_it(
        tmp_path) -> None:
    with served(make_workspace(tmp_path / "ws"), "--workers", "2") as (base, process, log):
        children = [int(pid) for pid in subprocess.run(
            ["ps", "--ppid", str(process.pid), "-o", "pid="], capture_output=True, text=True,
            timeout=10, check=True).stdout.split()]
        assert len(children) == 4, log.read_text()  # two HTTP workers, task worker, voice node
        process.kill()  # SIGKILL: serve has no moment to stop them itself
        process.wait(10)
        deadline = time.monotonic() + 15
        while any(is_running(pid) for pid in children):
            assert time.monotonic() < deadline, \
                f"{survivors(children)} still run:\n{log.read_text()}"
            time.sleep(0.1)
    with pytest.raises(OSError):  # nobody serves its port any more
        urllib.request.urlopen(f"{base}/api/v1/health", timeout=5).close()


def test_a_worker_that_dies_is_reported_and_the_api_stays_up(tmp_path) -> None:
    with served(make_workspace(tmp_path / "ws")) as (base, process, log):
        [worker] = worker_children(process)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while f"error: the task worker (PID {worker}) was killed by SIGKILL" not in log.read_text():
            assert time.monotonic() < deadline, f"no report of the dead worker:\n{log.read_text()}"
            time.sleep(0.1)
        assert call(f"{base}/api/v1/health") == (200, {"status": "ok"})
        assert process.poll() is None


def test_a_taken_address_stops_serve_before_its_worker_starts(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(command("serve", "--workspace", str(root), "--port", str(port)),
                                capture_output=True, text=True, timeout=START_TIMEOUT_S,
                                check=False)
    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: the address is already in use" \
        in result.stderr
    assert "Task worker running" not in result.stdout  # nothing was started, nothing is left


def run_to_exit(argv: list[str], log: Path) -> int:
    """Run a serve that should stop by itself; stop it by PID if it starts serving instead."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            if "Callwright serving" in log.read_text():
                # it did not stop: let it finish starting, so that SIGTERM stops it cleanly
                deadline = min(deadline, time.monotonic() + 5)
            time.sleep(0.1)
    finally:
        code = stop(process, STOP_TIMEOUT_S)
    return code


def test_a_second_serve_on_a_served_port_stops_and_the_first_keeps_it(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    with served(root) as (base, first, log):
        port = base.rpartition(":")[2]
        second_log = tmp_path / "second.log"
        code = run_to_exit(command("serve", "--workspace", str(root), "--port", port), second_log)
        second = second_log.read_text()
        assert code == 1, second
        assert f"error: cannot listen on 127.0.0.1:{port}: the address is already in use" in second
        assert "Task worker running" not in second
        # granian's SO_REUSEPORT would have let both listen; the first still has every request
        assert first.poll() is None and len(worker_children(first)) == 1
        for _ in range(20):
            assert call(f"{base}/api/v1/health") == (200, {"status": "ok"}), log.read_text()


def test_port_0_picks_a_free_port_and_the_banner_names_it(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command("serve", "--workspace", str(root), "--port", "0",
                                           "--sip", "127.0.0.1:0", "--no-worker"),
                                   stdout=out, stderr=subprocess.STDOUT, cwd=root)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (found := re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text())) is None:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        port = int(found[1])
        assert port != 0
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
    finally:
        assert stop(process, STOP_TIMEOUT_S) == 0
