"""The Redis session store: several runtime nodes share sessions through one Redis.

The contract every store keeps runs against Redis in test_store_sessions.py and
test_store_conversations.py; these tests cover what only a shared, remote store has: several
clients at once, expiry without scanning, Redis going away and coming back, and the API on top.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from pathlib import Path

import pytest
import redis

from blocks.sdk import ConfigurationError
from builder.app import create_app
from runtime import Runtime
from runtime.errors import SessionStoreUnavailable
from runtime.sessions.session import Session
from runtime.sessions import RedisSessionStore, StaleSession
from runtime.sessions.redis_store import CLAIM_TTL_S, EXPIRE_BATCH

DESK = {
    "schema": "callwright/flow@1", "id": "desk", "start": "name",
    "blocks": {
        "name": {"type": "ask", "config": {"prompt": "Your name?", "variable": "vars.name",
                                           "kind": "text"},
                 "exits": {"next": "greet"}},
        "greet": {"type": "say", "config": {"text": "Hello {{ vars.name }}."},
                  "exits": {"next": "topic"}},
        "topic": {"type": "ask", "config": {"prompt": "What about?", "variable": "vars.topic",
                                            "kind": "text"},
                  "exits": {"next": "bye"}},
        "bye": {"type": "end", "config": {"text": "Noted: {{ vars.topic }}. Bye."}},
    },
}
URL = "/api/v1/chat/desk/messages"


def session(**changes) -> Session:
    base = {"id": Session.new_id(), "flow_id": "support", "flow_version": "v1", "channel": "sms",
            "block": "menu", "vars": {"n": 0}, "contact": {"from": "+4915112345678"},
            "trigger": {}, "status": "waiting"}
    return Session(**{**base, **changes})


@pytest.fixture
def nodes(redis_url):
    """Two stores on the same Redis, as two runtime nodes have them."""
    first, second = RedisSessionStore(redis_url), RedisSessionStore(redis_url)
    yield first, second
    first.close()
    second.close()


def test_two_nodes_see_each_others_sessions_index_and_message_ids(nodes):
    a, b = nodes
    waiting = session()
    a.save(waiting)
    assert b.get(waiting.id) == waiting
    assert b.open_session("sms", "+4915112345678", "support") == waiting.id
    continued = b.get(waiting.id)
    continued.status = "ended"
    b.save(continued)
    assert a.get(waiting.id).status == "ended" and a.get(waiting.id).rev == 2
    assert a.open_session("sms", "+4915112345678", "support") is None
    assert a.claim_message("sms", "m-1") is None
    assert b.claim_message("sms", "m-1") == ""
    b.settle_message("sms", "m-1", waiting.id)
    assert a.claim_message("sms", "m-1") == waiting.id


def test_turns_racing_on_two_nodes_let_exactly_one_win(nodes):
    original = session()
    nodes[0].save(original)
    copies = [(nodes[n % 2], nodes[n % 2].get(original.id)) for n in range(8)]
    barrier = threading.Barrier(len(copies))
    wins, losses = [], []

    def turn(store: RedisSessionStore, copy: Session) -> None:
        """Change the copy and save it at the same moment as the others."""
        copy.vars["n"] = id(copy)
        barrier.wait()
        try:
            store.save(copy)
            wins.append(copy)
        except StaleSession:
            losses.append(copy)

    threads = [threading.Thread(target=turn, args=pair) for pair in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(wins) == 1 and len(losses) == 7
    assert nodes[1].get(original.id).vars["n"] == wins[0].vars["n"]
    assert all(loser.rev == 1 for loser in losses)


def test_expiry_on_one_node_removes_every_old_session_with_its_index_and_claims(nodes,
                                                                                redis_url):
    a, b = nodes
    old = [session(contact={"from": f"+49151{n:08d}"}) for n in range(EXPIRE_BATCH * 2 + 7)]
    for each in old:
        a.save(each)
        a.claim_message("sms", f"m-{each.id}")
    kept = session(contact={"from": "+4930999000"})
    b.save(kept)
    cut = kept.updated_at  # saved last: everything before it goes, it stays
    assert b.expire(before=cut) == len(old)
    assert a.get(old[0].id) is None and a.get(old[-1].id) is None
    assert a.open_session("sms", old[0].contact["from"], "support") is None
    assert a.claim_message("sms", f"m-{old[0].id}") is None
    assert a.get(kept.id) == kept
    assert a.open_session("sms", "+4930999000", "support") == kept.id
    assert b.expire(before=kept.updated_at + 1) == 1
    a.settle_message("sms", f"m-{old[0].id}", None)
    with redis.Redis.from_url(redis_url) as raw:
        assert raw.keys("*") == []  # nothing left behind: no session, index entry or claim


def test_a_message_claim_carries_a_ttl_that_settling_keeps(nodes, redis_url):
    a, _ = nodes
    a.claim_message("webhook", "m-ttl")
    a.settle_message("webhook", "m-ttl", "s-1")
    with redis.Redis.from_url(redis_url) as raw:
        assert 0 < raw.ttl("callwright:message:webhook:m-ttl") <= CLAIM_TTL_S


def test_stores_with_different_prefixes_on_one_redis_do_not_see_each_other(redis_url):
    first, second = RedisSessionStore(redis_url), RedisSessionStore(redis_url, prefix="other:")
    try:
        waiting = session()
        first.save(waiting)
        assert second.get(waiting.id) is None
        assert second.open_session("sms", "+4915112345678", "support") is None
        assert second.expire(before=waiting.updated_at + 1) == 0
        assert first.get(waiting.id) == waiting
    finally:
        first.close()
        second.close()


class ReplyDropper:
    """A TCP proxy to Redis that, when armed, passes one EVALSHA on but cuts its reply off.

    Redis runs the script; the client sees its connection break, as when a network drops a
    reply, and retries on a new connection.
    """

    def __init__(self, port: int) -> None:
        self.target = port
        self.armed = False
        self.cut = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"
        self._sockets: list[socket.socket] = [self._server]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self._sockets += [client, upstream]
            cutting = threading.Event()
            for args in ((client, upstream, cutting, True), (upstream, client, cutting, False)):
                thread = threading.Thread(target=self._pump, args=args, daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket, cutting: threading.Event,
              requests: bool) -> None:
        try:
            while data := source.recv(65536):
                if requests and self.armed and b"EVALSHA" in data.upper():
                    self.armed = False
                    cutting.set()
                elif not requests and cutting.is_set():
                    self.cut += 1  # Redis has answered: the client never hears it
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it, as close does not
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


def test_a_save_and_a_claim_whose_replies_were_lost_are_retried_and_count_once(redis_server,
                                                                              redis_url):
    proxy = ReplyDropper(redis_server.port)
    store = RedisSessionStore(proxy.url)
    try:
        waiting = session()
        store.save(waiting)  # the first run of each script loads it into Redis
        assert store.claim_message("sms", "m-first") is None
        proxy.armed = True
        waiting.vars["n"] = 1
        store.save(waiting)  # ran in Redis, reply lost, retried: the retry is not "stale"
        assert proxy.cut == 1 and waiting.rev == 2
        assert store.get(waiting.id) == waiting
        proxy.armed = True
        assert store.claim_message("sms", "m-lost") is None  # the claim made is this one's
        assert proxy.cut == 2
        assert store.claim_message("sms", "m-lost") == ""
    finally:
        store.close()
        proxy.close()


def test_a_store_whose_redis_is_down_says_so_naming_the_url_and_recovers(own_redis):
    store = RedisSessionStore(own_redis.url)
    try:
        waiting = session()
        store.save(waiting)
        own_redis.stop()
        for call in (lambda: store.get(waiting.id), lambda: store.save(waiting),
                     lambda: store.open_session("sms", "+4915112345678", "support"),
                     lambda: store.claim_message("sms", "m-1"), lambda: store.expire(0)):
            with pytest.raises(SessionStoreUnavailable,
                               match=f"the session store at {own_redis.url} is unavailable"):
                call()
        assert waiting.rev == 1  # the failed save left the copy as it was
        own_redis.start()  # its append-only file brings the session back
        assert store.get(waiting.id) == waiting
        store.save(waiting)
        assert store.get(waiting.id).rev == 2
    finally:
        store.close()


def test_the_error_hides_the_password_of_the_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    store = RedisSessionStore(f"redis://:s3cret@127.0.0.1:{port}/0")
    try:
        with pytest.raises(SessionStoreUnavailable) as caught:
            store.get("x")
        assert f"redis://:***@127.0.0.1:{port}/0" in str(caught.value)
        assert "s3cret" not in str(caught.value)
        assert caught.value.code == "session_store_unavailable"
    finally:
        store.close()


def test_without_redis_py_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` now fails
    with pytest.raises(ConfigurationError, match=r"pip install 'callwright\[redis\]'"):
        RedisSessionStore("redis://127.0.0.1:6379/0")


def test_a_bad_redis_url_is_a_configuration_error_naming_it():
    with pytest.raises(ConfigurationError, match="session store URL 'redis://127.0.0.1:port/0'"):
        RedisSessionStore("redis://127.0.0.1:port/0")


def test_the_environment_can_point_the_runtime_at_redis(make_workspace, redis_url):
    root = make_workspace(DESK)
    runtime = Runtime.open(root, environ={"CALLWRIGHT_STORAGE_SESSIONS_URL": redis_url})
    try:
        assert isinstance(runtime.sessions, RedisSessionStore)
        first = runtime.chat_turn("desk", None, "hi")
        assert runtime.sessions.get(first["session"]).block == "name"
    finally:
        runtime.close()


@pytest.fixture
def apps(make_workspace):
    """Return app(sessions_url): an API app over one workspace with the desk flow; all closed."""
    made = []
    root: list[Path] = []

    def make(sessions_url: str):
        if not root:
            root.append(make_workspace(DESK))
        app = create_app(root[0], {"TESTING": True, "SESSIONS_URL": sessions_url})
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["callwright.runtime"].close()


def says(turn: dict) -> list[str]:
    """Return what a turn's replies say or ask, in order."""
    return [event.get("text") or event["prompt"] for event in turn["replies"]
            if event["event"] in ("say", "ask")]


def test_a_chat_begun_on_one_node_continues_on_another(apps, redis_url):
    first, second = apps(redis_url), apps(redis_url)
    begun = first.post(URL, json={"text": "hi"}).get_json()
    assert says(begun) == ["Your name?"] and begun["ended"] is False
    named = second.post(URL, json={"session": begun["session"], "text": "Ann"}).get_json()
    assert says(named) == ["Hello Ann.", "What about?"] and named["session"] == begun["session"]
    done = first.post(URL, json={"session": begun["session"], "text": "my card"}).get_json()
    assert says(done) == ["Noted: my card. Bye."] and done["ended"] is True
    again = second.post(URL, json={"session": begun["session"], "text": "hello?"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "session_ended"


def test_a_chat_turn_answers_503_while_redis_is_down_and_works_again_after(apps, own_redis):
    client = apps(own_redis.url)
    begun = client.post(URL, json={"text": "hi"}).get_json()
    own_redis.stop()
    for body in ({"session": begun["session"], "text": "Ann"}, {"text": "hi"}):
        response = client.post(URL, json=body)
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "session_store_unavailable"
        assert f"the session store at {own_redis.url} is unavailable" in error["message"]
        assert "Traceback" not in json.dumps(error)
    own_redis.start()
    named = client.post(URL, json={"session": begun["session"], "text": "Ann"}).get_json()
    assert says(named) == ["Hello Ann.", "What about?"]
