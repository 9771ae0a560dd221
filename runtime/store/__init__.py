"""Where sessions are kept between turns, chosen by URL."""

from __future__ import annotations

from pathlib import Path

from blocks.sdk import ConfigurationError

from .base import SessionStore, StaleSession
from .memory import MemorySessionStore
from .sqlite import SqliteSessionStore


def open_session_store(url: str) -> SessionStore:
    """Open the store a URL names: `memory:`, `sqlite:///path/to/sessions.sqlite3`."""
    if url == "memory:":
        return MemorySessionStore()
    if url.startswith("sqlite:///"):
        return SqliteSessionStore(Path(url[len("sqlite:///"):]))
    raise ConfigurationError(f"unknown session store URL {url!r}: use memory: or sqlite:///PATH")


__all__ = ["MemorySessionStore", "SessionStore", "SqliteSessionStore", "StaleSession",
           "open_session_store"]
