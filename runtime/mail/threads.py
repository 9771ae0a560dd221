"""Mail threads: our Message-IDs, and which conversation a reply naming one of them continues.

The session store keeps the link, with the inbound message ids it already keeps (claim and
settle), under a channel name of its own: no table of its own, and it expires with them.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

THREADS = "email.thread"  # the store's channel name for "our Message-ID -> session"
MOST_IDS = 10  # a References header can be long; the latest ids are the ones that matter


def mail_message_id(key: str, sender: str) -> str:
    """Return the Message-ID of the mail sent under an idempotency key from an address.

    The key in it lets a mailbox recognise a retried copy as the same mail, and lets a reply
    that names it (In-Reply-To, References) be traced back to its conversation.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return f"<{key}@{domain or 'callwright.invalid'}>"


def remember_thread(sessions: Any, message_id: str, session_id: str) -> None:
    """Record that a mail we send (by its Message-ID) belongs to a session."""
    sessions.claim_message(THREADS, message_id.lower())
    sessions.settle_message(THREADS, message_id.lower(), session_id)


def thread_of(sessions: Any, in_reply_to: list[str], references: list[str]) -> str | None:
    """Return the session a reply continues: the newest of our mails it names, or None."""
    named = list(dict.fromkeys([*in_reply_to, *reversed(references)]))[:MOST_IDS]
    for message_id in named:
        found = sessions.claim_message(THREADS, message_id.lower())
        if found is None:  # not one of ours: the claim just made is taken back
            sessions.settle_message(THREADS, message_id.lower(), None)
        elif found:
            return found
    return None
