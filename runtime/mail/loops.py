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
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond")


def loop_reason(mail: EmailMessage, envelope_sender: str, ours: set[str]) -> str | None:
    """Return why a mail must not be answered, or None when a person wrote it."""
    if not envelope_sender.strip("<> "):
        return "null sender <> (a bounce)"
    # the raw values: these headers are tokens, and decoding each (policy.default's header
    # classes) cost more than the rest of the screen
    raw = {name.lower(): str(value) for name, value in mail.raw_items()}
    auto = raw.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = raw.get("precedence", "").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for header in _LIST_HEADERS:
        if header.lower() in raw:
            return f"{header} (a mailing list)"
    for header in _AUTORESPONDER_HEADERS:
        if header.lower() in raw:
            return f"{header} (an auto-reply)"
    senders = {envelope_sender.strip("<> ").lower()}
    senders |= {address.lower() for _, address in getaddresses(
        [raw.get("from", ""), raw.get("sender", "")]) if address}
    if senders & ours:
        return f"sent from our own address {sorted(senders & ours)[0]}"
    return None
