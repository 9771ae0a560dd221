"""The recent messages of each web-chat conversation, numbered, and news of every new one.

A conversation is one visitor of the widget: its id is `contact.from` of its sessions, so a flow
pushes to it with `send` on channel `chat` to `{{ contact.from }}`. Messages are kept bounded
(the last `KEEP` of a conversation, for `TTL_S`), which is what a reconnecting widget replays
after its Last-Event-ID. The store is shared by the HTTP workers of `serve` and the task worker:
Redis when the workspace has Redis (pub/sub tells the listeners), else an SQLite file beside the
sessions that each listening process polls.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any, Callable, Iterable, TypedDict

# the conversation id is the visitor's only credential: long, random, URL-safe
CONVERSATION = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
KEEP = 200  # messages kept of one conversation
TTL_S = 7 * 24 * 3600  # a conversation nobody wrote in for a week is forgotten
Listener = Callable[[str, int, "Message"], None]


class Message(TypedDict, total=False):
    """One message of a conversation as the widget shows it."""

    id: int
    side: str  # "visitor" or "bot"
    text: str
    quick_replies: list[str]
    notice: str  # "transfer" or "ended": said by the widget in the page's language


def new_conversation() -> str:
    """Return a new, unguessable conversation id."""
    return secrets.token_urlsafe(18)


def messages_of(replies: Iterable[dict]) -> list[Message]:
    """Return what a turn's reply events show in the widget (without ids)."""
    shown: list[Message] = []
    for event in replies:
        kind = event.get("event")
        if kind == "say" and event.get("text"):
            shown.append({"side": "bot", "text": str(event["text"])})
        elif kind == "ask":
            message: Message = {"side": "bot", "text": str(event.get("prompt") or "")}
            if event.get("quick_replies"):
                message["quick_replies"] = [str(label) for label in event["quick_replies"]]
            shown.append(message)
        elif kind in ("transfer", "end"):
            shown.append({"side": "bot", "notice": "transfer" if kind == "transfer" else "ended"})
    return shown


class ChatEvents:
    """Keeps each conversation's recent messages and tells listening processes of new ones.

    Implementations: `SqliteChatEvents` (the embedded default) and `RedisChatEvents`.
    """

    def append(self, conversation: str, message: Message, key: str | None = None) -> int:
        """Keep a message and return its id, greater than every earlier id of the conversation.

        A `key` given before (a retried delivery) keeps nothing more and returns the first id.
        """
        raise NotImplementedError

    def since(self, conversation: str, after: int) -> list[Message]:
        """Return the kept messages of a conversation with an id above `after`, oldest first."""
        raise NotImplementedError

    async def listen(self, deliver: Listener, ready: Callable[[], None] = lambda: None) -> None:
        """Call `deliver(conversation, id, message)` for each message appended from now on.

        Calls `ready()` once listening: every message appended after that is delivered, so a
        replay read after it misses nothing. Runs until cancelled; any process's appends count.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


def stamped(message: Any, message_id: int) -> Message:
    """Return a kept message with its id."""
    return {"id": message_id, **message}
