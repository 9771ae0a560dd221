"""Fixtures shared by every suite: temporary workspaces and a real local HTTP server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest

from needs import missing, program
from serving import free_port
from serving import stop as stop_process

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
def example_workspace(tmp_path: Path) -> Path:
    """Return a copy of the example workspace shipped in the repository.

    A copy: a runtime writes its data and the flow versions it took live under the workspace's
    .callwright/, and tests leave the source tree as they found it.
    """
    copy = tmp_path / "example-workspace"
    shutil.copytree(EXAMPLE_WORKSPACE, copy, ignore=shutil.ignore_patterns(".callwright"))
    return copy


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


# --- Redis: a real server that the suite starts itself (task queue, Redis-backed stores) -------
# Each server runs on 127.0.0.1 on a free port with an append-only file in its own folder, and
# is stopped by its PID. Without redis-server the tests that need it are skipped, except under
# CI=true, where that is a failure (scripts/test.sh installs the Debian package redis-server).

REDIS_START_TIMEOUT_S = 30.0


def _redis_command(port: int, *words: str, timeout: float = 2.0) -> bytes:
    """Send one command in RESP to a Redis server and return the first line of its reply."""
    request = f"*{len(words)}\r\n".encode() + b"".join(
        f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.strip()


class RedisServer:
    """A redis-server process with an append-only file, which a test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again: same port, same folder, so its append-only file reloads)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--dir", str(self.folder)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: "
                                   f"{(self.folder / 'redis.log').read_text(errors='replace')}")
            try:
                if _redis_command(self.port, "PING") == b"+PONG":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer within "
                           f"{REDIS_START_TIMEOUT_S:g} s")

    def stop(self) -> None:
        """Stop the server by its PID: SIGTERM (it writes its append-only file), then SIGKILL."""
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, 10)

    def flush(self) -> None:
        """Delete every key of every database."""
        assert _redis_command(self.port, "FLUSHALL") == b"+OK"


def _require_redis_server() -> None:
    """Skip without redis-server, or fail under CI=true, where it must be installed."""
    program("redis-server", "redis-server")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> RedisServer:
    """Start one Redis server for the whole test session."""
    _require_redis_server()
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """Return the URL of the session's Redis server, emptied for this test."""
    if redis_server.process is None:
        redis_server.start()  # a test that stopped it and failed before starting it again
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> RedisServer:
    """Start a Redis server for this test alone, which it may stop and restart."""
    _require_redis_server()
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


# --- PostgreSQL: a real server that the suite starts itself (the records database) -------------
# One server for the session, in a folder of its own, on 127.0.0.1 and a free port, stopped by
# its PID; each test gets a database of its own. PostgreSQL refuses to run as root, so as root
# the server runs as the `postgres` user that Debian's package makes. Without PostgreSQL the
# tests that need it are skipped, except under CI=true (scripts/test.sh installs `postgresql`).

POSTGRES_START_TIMEOUT_S = 60.0


def _postgres_bin() -> Path | None:
    """Return the folder of PostgreSQL's server programs (initdb, postgres), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0)
    return versions[-1].parent if versions else None


class PostgresServer:
    """A postgres process with its own data folder, trusting local connections."""

    def __init__(self, bindir: Path) -> None:
        import tempfile

        self.bindir = bindir
        # not under pytest's tmp folders: they are private to root, and the server may not be
        self.folder = Path(tempfile.mkdtemp(prefix="callwright-postgres-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.user = "postgres" if os.geteuid() == 0 else None
        self._databases = 0

    def _run_as(self) -> dict:
        """Return the Popen arguments that run a program as the server's user."""
        return {"user": self.user, "group": self.user} if self.user else {}

    def start(self) -> None:
        """Make the data folder and start the server; wait until it accepts connections."""
        if self.user:
            shutil.chown(self.folder, self.user, self.user)
        data = self.folder / "data"
        subprocess.run([str(self.bindir / "initdb"), "-D", str(data), "-U", "callwright",
                        "--auth=trust", "--encoding=UTF8", "--no-sync"], check=True,
                       capture_output=True, timeout=120, cwd=self.folder, **self._run_as())
        with (self.folder / "postgres.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port),
                 "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, **self._run_as())
        deadline = time.monotonic() + POSTGRES_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}: "
                                   f"{(self.folder / 'postgres.log').read_text(errors='replace')}")
            try:
                self.execute("SELECT 1")
                return
            except Exception:  # not accepting connections yet
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postgres on port {self.port} did not start within "
                           f"{POSTGRES_START_TIMEOUT_S:g} s")

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction in the `postgres` database."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="callwright",
                             dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)

    def new_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        self._databases += 1
        name = f"test_{self._databases}"
        self.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://callwright@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server by its PID (SIGINT: fast shutdown) and remove its folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """Start one PostgreSQL server for the whole test session."""
    bindir = _postgres_bin()
    if bindir is None:
        missing("PostgreSQL is not installed (Debian package postgresql)")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """Return the URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty records database: SQLite in a file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records' / 'callwright.sqlite3'}"
    return request.getfixturevalue("postgres_url")


# --- A message gateway: what `send` POSTs SMS and webhook messages to ---------------------------

HOLD = "hold"  # a gateway answer: keep the request open until `release()`, then accept it


class Gateway:
    """A scripted SMS/webhook gateway that drops copies by Idempotency-Key, as real ones do."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}  # Idempotency-Key -> the message first accepted
        self._answers: list[int | str] = []
        self._failing_until = 0.0  # time.monotonic() before which every request gets a 500
        self._released = threading.Event()
        self._changed = threading.Condition()

    def answer(self, *answers: int | str) -> None:
        """Answer the next requests with these statuses (or HOLD) in order; then 200."""
        self._answers.extend(answers)

    def fail_for(self, seconds: float) -> None:
        """Answer every request with 500 for the next `seconds` (an outage), then as scripted."""
        self._failing_until = time.monotonic() + seconds

    def release(self) -> None:
        """Let held requests go on (they are accepted)."""
        self._released.set()

    def wait_for(self, requests: int, timeout: float) -> bool:
        """Wait until at least this many requests have arrived; return whether they did."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.requests) >= requests, timeout)

    def take(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        """Record a request (header names in lower case) and return its answer's status and body."""
        with self._changed:
            self.requests.append({"path": path, "headers": headers, "body": body,
                                  "at": time.monotonic()})
            self._changed.notify_all()
            if time.monotonic() < self._failing_until:
                answer: int | str = 500
            else:
                answer = self._answers.pop(0) if self._answers else 200
        if answer == HOLD:
            self._released.wait(60)
            answer = 200
        key = headers.get("idempotency-key", "")
        if answer != 200:
            return int(answer), {"error": f"scripted {answer}"}
        with self._changed:
            if key in self.delivered:
                return 200, {"duplicate": True}
            self.delivered[key] = json.loads(body)
        return 200, {"accepted": True}


@pytest.fixture
def gateway() -> Gateway:
    """Run a scripted message gateway on 127.0.0.1 (a free port); stop it after the test."""
    recorder = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            """Take a message and answer as scripted."""
            length = int(self.headers.get("content-length") or 0)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = recorder.take(self.path, headers, self.rfile.read(length))
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the sender is gone (a killed worker): the message was accepted anyway

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    yield recorder
    recorder.release()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- The task queue of a test's own workspace ---------------------------------------------------

@pytest.fixture
def task_queue(tmp_path: Path) -> Callable[..., object]:
    """Return open(toml, root=None) -> a TaskQueue of a fresh workspace with that callwright.toml.

    Every queue opened is closed after the test.
    """
    from runtime.tasks import open_queue, task_config

    queues = []

    def open_(toml: str, root: Path | None = None) -> object:
        """Write the settings into the workspace and open its queue."""
        folder = root or tmp_path / "tasks-workspace"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "callwright.toml").write_text(toml, "utf-8")
        queue = open_queue(task_config(folder))
        queues.append(queue)
        return queue

    yield open_
    for queue in queues:
        queue.close()


@pytest.fixture
def drain() -> Callable[..., None]:
    """Return drain(queue, done, timeout=20): work a queue and its lines queue here, as a worker
    and a voice node would, until done()."""
    def work(queue, done: Callable[[], bool], timeout: float = 20.0) -> None:
        hueys = [q.huey for q in (queue, queue.lines) if q is not None]
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the queue did not finish the work in time"
            tasks = [(huey, huey.dequeue()) for huey in hueys]
            for huey, task in tasks:
                if task is not None:
                    huey.execute(task)
            if any(task is not None for _, task in tasks):
                continue
            for huey in hueys:
                for due in huey.read_schedule():
                    huey.enqueue(due)
            time.sleep(0.02)
    return work


@pytest.fixture
def workspace_app(make_workspace) -> Callable[..., object]:
    """Return app(*flows, routes=None, toml=""): a builder app over a fresh workspace with those
    settings (its runtime's task queue included); every app's runtime is closed after the test."""
    from builder.app import create_app

    apps = []

    def make(*flows: dict, routes: dict | None = None, toml: str = "") -> object:
        root = make_workspace(*flows, routes=routes, toml=toml)
        app = create_app(root, {"TESTING": True})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["callwright.runtime"].close()
