"""Every session store keeps the same contract (the same tests run against each backend)."""

from __future__ import annotations

import threading

import pytest

from runtime.sessions.session import Frame, Session
from runtime.sessions import (MemorySessionStore, RedisSessionStore, SqliteSessionStore, StaleSession,
                           open_session_store)


def session(**changes) -> Session:
    base = dict(id=Session.new_id(), flow_id="f", flow_version="v1", channel="chat", block="a",
                vars={"n": 1, "text": "Привет"}, contact={"from": "+49"}, trigger={"text": "hi"})
    return Session(**{**base, **changes})


def test_a_saved_session_comes_back_equal(store):
    original = session(frames=[Frame("parent", "v0", "call", {"x": 1}, {"y": 2})],
                       state={"attempt": 2})
    store.save(original)
    loaded = store.get(original.id)
    assert loaded == original and loaded.rev == 1


def test_an_unknown_id_gives_none_and_deleting_it_is_harmless(store):
    assert store.get("nope") is None
    store.delete("nope")


def test_a_save_from_a_stale_copy_is_refused_and_changes_nothing(store):
    original = session()
    store.save(original)
    first, second = store.get(original.id), store.get(original.id)
    first.vars["n"] = 2
    store.save(first)
    second.vars["n"] = 3
    with pytest.raises(StaleSession):
        store.save(second)
    assert store.get(original.id).vars["n"] == 2 and second.rev == 1


def test_a_new_session_cannot_overwrite_an_existing_one_with_the_same_id(store):
    original = session()
    store.save(original)
    with pytest.raises(StaleSession):
        store.save(session(id=original.id))


def test_concurrent_turns_on_one_session_let_exactly_one_win(store):
    original = session()
    store.save(original)
    copies = [store.get(original.id) for _ in range(8)]
    wins, losses = [], []

    def turn(copy):
        try:
            store.save(copy)
            wins.append(copy)
        except StaleSession:
            losses.append(copy)
    threads = [threading.Thread(target=turn, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(wins) == 1 and len(losses) == 7


def test_store_urls_pick_the_backend_and_bad_ones_say_what_is_accepted(tmp_path):
    for url, kind in [("memory:", MemorySessionStore),
                      (f"sqlite:///{tmp_path / 'x.db'}", SqliteSessionStore),
                      ("redis://127.0.0.1:6379/0", RedisSessionStore),
                      ("rediss://127.0.0.1:6380/1", RedisSessionStore),
                      (f"unix://{tmp_path / 'redis.sock'}?db=2", RedisSessionStore)]:
        opened = open_session_store(url)  # a Redis store connects on its first command
        assert isinstance(opened, kind)
        opened.close()
    with pytest.raises(Exception, match=r"use memory:, sqlite:///PATH or redis://HOST:PORT/DB"):
        open_session_store("mongodb://x")
