"""The session store: the one extension point through which sessions are kept."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from runtime.errors import SessionBusy

from .locks import ConversationLocks, ThreadLocks
from .session import Session


_MAKING_LOCKS = threading.Lock()


class StaleSession(SessionBusy):
    """A session was saved from an out-of-date copy: another turn saved it first."""


def conversation_key(session: Session) -> tuple[str, str, str] | None:
    """Return (channel, contact address, flow id) under which a waiting session is found again.

    The address is `contact.from`, the customer's side whoever wrote first; the flow is the
    one the session started on (the bottom frame's, inside a subflow). Sessions that do not
    wait, have no contact address (web chat) or are the editor's simulations are not found by
    address.
    """
    address = session.contact.get("from") if isinstance(session.contact, dict) else None
    if session.status != "waiting" or not isinstance(address, str) or not address:
        return None
    # a simulation only plays a contact: a real message from that address must not continue it
    if session.trigger.get("simulation"):
        return None
    flow_id = session.frames[0].flow_id if session.frames else session.flow_id
    return session.channel, address, flow_id


class SessionStore:
    """Keeps sessions between turns so that any worker can resume any conversation.

    Implementations: `MemorySessionStore` (tests, `simulate`), `SqliteSessionStore` (the embedded
    default), `RedisSessionStore` (shared by the nodes of a cluster). The same contract tests run
    against each.
    """

    # True where a call waits on the network: `from_loop` then runs it on a thread, so that the
    # other turns of the event loop go on meanwhile (in-process stores answer in microseconds)
    remote = False
    _locks: ConversationLocks | None = None

    @property
    def locks(self) -> ConversationLocks:
        """Return the conversation locks that reach as far as this store is shared.

        The base gives locks of this process; a store shared by processes or nodes returns
        locks that those share too.
        """
        if self._locks is None:
            with _MAKING_LOCKS:  # two threads asking first must get the same locks
                if self._locks is None:
                    self._locks = self._make_locks()
        return self._locks

    def _make_locks(self) -> ConversationLocks:
        """Return this store's kind of conversation lock (made once, on first use)."""
        return ThreadLocks()

    async def from_loop(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call one of this store's methods from an event loop (on a thread if `remote`)."""
        return await asyncio.to_thread(method, *args) if self.remote else method(*args)

    def get(self, session_id: str) -> Session | None:
        """Return the saved session, or None when there is none with that id."""
        raise NotImplementedError

    def save(self, session: Session) -> None:
        """Save a session atomically.

        `session.rev` is the revision the caller loaded (0 for a new session). The save succeeds
        only if the stored revision still equals it, then bumps `session.rev`; otherwise it raises
        `StaleSession` and stores nothing, so two concurrent turns can never both win.

        The same save keeps the conversation index: a session that waits is indexed under its
        `conversation_key`, replacing an older waiting session of the same key; any other
        session is taken out of the index.
        """
        raise NotImplementedError

    def delete(self, session_id: str) -> None:
        """Forget a session (no error when it does not exist)."""
        raise NotImplementedError

    def open_session(self, channel: str, address: str, flow_id: str) -> str | None:
        """Return the id of the waiting session of a contact address on a channel and flow.

        None when there is none. The index may lag behind a crash: callers load the session and
        check that it still waits before they continue it.
        """
        raise NotImplementedError

    def claim_message(self, channel: str, message_id: str) -> str | None:
        """Record an inbound message id; return None the first time it is seen.

        A redelivered id returns the session its first delivery went to ("" while that first
        delivery is still being handled), and the caller does nothing more with it.
        """
        raise NotImplementedError

    def settle_message(self, channel: str, message_id: str, session_id: str | None) -> None:
        """Record which session a claimed message went to; None forgets the claim.

        A message whose handling failed before it changed anything is forgotten, so that the
        sender's redelivery is handled as if it were the first.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""
