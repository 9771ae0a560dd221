"""Web chat's conversations: their recent messages, kept where every process sees them, pushed."""

from __future__ import annotations

from pathlib import Path

from blocks.sdk import ConfigurationError

from .events import CONVERSATION, ChatEvents, Message, messages_of, new_conversation
from .hub import ChatHub, Stream, TooManyStreams
from .redis_events import SCHEMES as REDIS_SCHEMES
from .redis_events import RedisChatEvents
from .sqlite_events import SqliteChatEvents


def chat_events_url(root: Path, redis_url: str | None, sessions_url: str) -> str:
    """Return where a workspace keeps chat messages: its Redis if it has one, else SQLite."""
    if redis_url:
        return redis_url
    if sessions_url.startswith(REDIS_SCHEMES):
        return sessions_url
    return f"sqlite:///{Path(root) / '.callwright' / 'chat-events.sqlite3'}"


def open_chat_events(url: str) -> ChatEvents:
    """Open the chat message store a URL names: `sqlite:///PATH` or a Redis URL."""
    if url.startswith("sqlite:///"):
        return SqliteChatEvents(Path(url[len("sqlite:///"):]))
    if url.startswith(REDIS_SCHEMES):
        return RedisChatEvents(url)
    raise ConfigurationError(f"unknown chat message store URL {url!r}: use sqlite:///PATH or "
                             f"redis://HOST:PORT/DB")


__all__ = ["CONVERSATION", "ChatEvents", "ChatHub", "Message", "RedisChatEvents",
           "SqliteChatEvents", "Stream", "TooManyStreams", "chat_events_url", "messages_of",
           "new_conversation", "open_chat_events"]
