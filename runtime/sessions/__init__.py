"""Where sessions are kept between turns, chosen by URL."""

from __future__ import annotations

from pathlib import Path

from blocks.sdk import ConfigurationError

from .locks import ConversationBusy, ConversationLocks, FileLocks, RedisLocks, ThreadLocks
from .memory import MemorySessionStore
from .redis_store import SCHEMES as REDIS_SCHEMES
from .redis_store import RedisSessionStore
from .session import Frame, Session
from .sqlite import SqliteSessionStore
from .store import SessionStore, StaleSession


def open_session_store(url: str) -> SessionStore:
    """Open the store a URL names: `memory:`, `sqlite:///PATH`, `redis://HOST:PORT/DB`.

    Redis also takes `rediss://` (TLS) and `unix:///path/to/redis.sock?db=N`.
    """
    if url == "memory:":
        return MemorySessionStore()
    if url.startswith("sqlite:///"):
        return SqliteSessionStore(Path(url[len("sqlite:///"):]))
    if url.startswith(REDIS_SCHEMES):
        return RedisSessionStore(url)
    raise ConfigurationError(f"unknown session store URL {url!r}: use memory:, sqlite:///PATH or "
                             f"redis://HOST:PORT/DB (also rediss:// and unix://)")


__all__ = ["REDIS_SCHEMES", "ConversationBusy", "ConversationLocks", "FileLocks", "Frame",
           "MemorySessionStore", "RedisLocks", "RedisSessionStore", "Session", "SessionStore",
           "SqliteSessionStore", "StaleSession", "ThreadLocks", "open_session_store"]
