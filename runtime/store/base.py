"""The session store: the one extension point through which sessions are kept."""

from __future__ import annotations

from ..errors import SessionBusy
from ..session import Session


class StaleSession(SessionBusy):
    """A session was saved from an out-of-date copy: another turn saved it first."""


class SessionStore:
    """Keeps sessions between turns so that any worker can resume any conversation.

    Implementations: `MemorySessionStore` (tests, `simulate`), `SqliteSessionStore` (the embedded
    default); a Redis store joins them for clusters. The same contract tests run against each.
    """

    def get(self, session_id: str) -> Session | None:
        """Return the saved session, or None when there is none with that id."""
        raise NotImplementedError

    def save(self, session: Session) -> None:
        """Save a session atomically.

        `session.rev` is the revision the caller loaded (0 for a new session). The save succeeds
        only if the stored revision still equals it, then bumps `session.rev`; otherwise it raises
        `StaleSession` and stores nothing, so two concurrent turns can never both win.
        """
        raise NotImplementedError

    def delete(self, session_id: str) -> None:
        """Forget a session (no error when it does not exist)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""
