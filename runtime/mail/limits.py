"""The `[email]` settings of the receiver: where it listens and how much a mail may carry."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

DEFAULT_LISTEN = "127.0.0.1:2525"
MESSAGE_BYTES = 10 * 1024 * 1024  # the DATA cap the receiver announces (SIZE) and enforces
ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENTS_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class MailLimits:
    """How large a mail, one attachment and all of one mail's attachments may be, in bytes."""

    message_bytes: int = MESSAGE_BYTES
    attachment_bytes: int = ATTACHMENT_BYTES
    attachments_bytes: int = ATTACHMENTS_BYTES

    @classmethod
    def from_settings(cls, settings: dict) -> MailLimits:
        """Read `[email] max_message_bytes`, `max_attachment_bytes`, `max_attachments_bytes`."""
        section = settings.get("email", {})
        return cls(int(section.get("max_message_bytes", MESSAGE_BYTES)),
                   int(section.get("max_attachment_bytes", ATTACHMENT_BYTES)),
                   int(section.get("max_attachments_bytes", ATTACHMENTS_BYTES)))


def our_addresses(settings: dict, routes: dict) -> set[str]:
    """Return every address we write from or receive at, lower-cased (`[email] from`, routes)."""
    ours = {key.lower() for key in (routes.get("email") or {}) if key != "*"}
    sender = parseaddr(settings.get("email", {}).get("from", ""))[1]
    if sender:
        ours.add(sender.lower())
    return ours
