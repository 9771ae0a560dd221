"""Mail that must never start or continue a conversation: auto-replies, bounces, bulk, our own.

An answer to any of these would be answered back, and two robots would write to each other for
ever. Such mail is accepted (a refusal would bounce, which is mail again) and dropped.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses

_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
_LIST_HEADERS = ("List-Id", "List-Unsubscribe")
# set by autoresponders that predate Auto-Submitted (RFC 3834)
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")


def loop_reason(mail: EmailMessage, envelope_sender: str, ours: set[str]) -> str | None:
    """Return why a mail must not be answered, or None when a person wrote it."""
    if not envelope_sender.strip("<> "):
        return "null sender <> (a bounce)"
    auto = str(mail.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(mail.get("Precedence", "") or "").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for header in _LIST_HEADERS:
        if mail.get(header) is not None:
            return f"{header} (a mailing list)"
    for header in _AUTORESPONDER_HEADERS[:2]:
        if mail.get(header) is not None:
            return f"{header} (an auto-reply)"
    senders = {envelope_sender.strip("<> ").lower()}
    senders |= {address.lower() for _, address in getaddresses(
        [str(mail.get("From", "") or ""), str(mail.get("Sender", "") or "")]) if address}
    if senders & ours:
        return f"sent from our own address {sorted(senders & ours)[0]}"
    return None
