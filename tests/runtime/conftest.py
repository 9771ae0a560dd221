"""Fixtures of the runtime's tests: session stores of every backend."""

from __future__ import annotations

import pytest

from runtime.sessions import MemorySessionStore, RedisSessionStore, SqliteSessionStore


@pytest.fixture
def open_backend(request, tmp_path):
    """Return open_backend(name): a fresh, empty session store of `memory`, `sqlite` or `redis`
    (the test session's Redis server, emptied); every store is closed after the test."""
    opened = []

    def open_(name: str):
        if name == "memory":
            backend = MemorySessionStore()
        elif name == "sqlite":
            backend = SqliteSessionStore(tmp_path / "s.db")
        else:
            backend = RedisSessionStore(request.getfixturevalue("redis_url"))
        opened.append(backend)
        return backend
    yield open_
    for backend in opened:
        backend.close()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request, open_backend):
    """A fresh, empty session store of each backend in turn."""
    return open_backend(request.param)
