"""Erasing a contact: the contact, and everything its sessions left behind.

A customer's right to be forgotten covers more than the contact row: the transcripts and
execution logs of their sessions, their recordings (rows and WAV files) and the sessions
themselves go too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SessionForgetter(Protocol):
    """Something that keeps per-session data and can drop it (execution log, recordings)."""

    def forget(self, session_ids: list[str]) -> int: ...


class SessionDeleter(Protocol):
    """A session store."""

    def delete(self, session_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure removed, as counts (for the audit log and the API's answer)."""

    contact: str
    sessions: int
    steps: int
    recordings: int

    def as_dict(self) -> dict:
        """Return the counts as the API shows them."""
        return {"contact": self.contact, "erased": True, "sessions": self.sessions,
                "steps": self.steps, "recordings": self.recordings}


def erase_contact(store: ContactStoreLike, contact_id: str, *,
                  executions: SessionForgetter | None = None,
                  recordings: SessionForgetter | None = None,
                  sessions: SessionDeleter | None = None) -> Erased:
    """Remove a contact with its timeline, its sessions, their steps and their recordings."""
    session_ids = store.erase(contact_id)
    steps = executions.forget(session_ids) if executions is not None else 0
    taken = recordings.forget(session_ids) if recordings is not None else 0
    if sessions is not None:
        for session_id in session_ids:
            sessions.delete(session_id)
    return Erased(contact_id, len(session_ids), steps, taken)


class ContactStoreLike(Protocol):
    """The part of the contact store an erasure needs."""

    def erase(self, contact_id: str) -> list[str]: ...


__all__ = ["Erased", "erase_contact"]
