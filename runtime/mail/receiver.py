"""What happens to a received mail: read, screened for loops, routed, answered in one mail.

`MailReceiver` is the e-mail channel's inbound path behind any SMTP server (runtime.mail.server
runs aiosmtpd in front of it): it hands the new text of a mail to `Runtime.inbound`, where
`MailInbound` runs its turn in its thread and queues the turn's replies as one `send` of an
e-mail, threaded under the customer's mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attachments import keep_attachments
from .limits import MailLimits, our_addresses
from .loops import loop_reason
from .parsing import ReceivedMail, read_mail
from .threads import thread_of

log = logging.getLogger(__name__)
CHANNEL = "email"


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: `answered`, `silent`, `duplicate`, `dropped` or `failed`."""

    status: str
    session: str | None = None
    reason: str = ""


class MailReceiver:
    """Routes mail by recipient to a workspace's flows and queues their answers."""

    def __init__(self, runtime: Any, data_folder: Path | None = None) -> None:
        self.runtime = runtime
        settings = runtime.workspace.settings
        self.limits = MailLimits.from_settings(settings)
        root = runtime.workspace.root
        self.folder = data_folder or (Path(root) / ".callwright" / "mail" if root else None)

    @property
    def ours(self) -> str:
        """Return the address our answers come from (`[email] from`)."""
        return self.runtime.workspace.settings.get("email", {}).get("from", "")

    def routed(self, address: str) -> bool:
        """Return True when routes.json's `email` table takes mail for an address."""
        return self.runtime.workspace.route(CHANNEL, address.strip("<> ").lower()) is not None

    def receive(self, envelope_sender: str, recipients: list[str], data: bytes) -> Outcome:
        """Handle one accepted mail; raise only when it should be offered again later."""
        mail = read_mail(data, envelope_sender)
        if mail.defects:
            log.warning("mail %s from %s is malformed (%s); read what could be read",
                        mail.message_id, mail.sender or envelope_sender, "; ".join(mail.defects))
        settings = self.runtime.workspace.settings
        reason = loop_reason(mail.message, envelope_sender,
                             our_addresses(settings, self.runtime.workspace.routes))
        if reason is None and not mail.sender:
            reason = "no sender address to answer"
        if reason is not None:
            log.info("mail %s from %r dropped, never answered: %s", mail.message_id,
                     envelope_sender, reason)
            return Outcome("dropped", reason=reason)
        to = next((r.strip("<> ").lower() for r in recipients if self.routed(r)), None)
        if to is None:  # RCPT refused them all; a server that skips that check ends here
            return Outcome("dropped", reason="no routed recipient")
        return self._converse(mail, to)

    def _converse(self, mail: ReceivedMail, to: str) -> Outcome:
        """Run the turn a mail causes; its answer is queued by the channel (MailInbound)."""
        sessions = self.runtime.sessions
        thread = thread_of(sessions, mail.in_reply_to, mail.references)
        attachments = (keep_attachments(mail.attachments, self.folder, mail.message_id,
                                        self.limits) if self.folder is not None else [])
        details = {"subject": mail.subject, "message_id": mail.message_id,
                   "attachments": attachments}
        result = self.runtime.inbound(CHANNEL, mail.sender, to, mail.text, mail.message_id,
                                      thread=thread, details=details, mail=mail, ours=self.ours)
        if result.get("duplicate"):
            return Outcome("duplicate", result.get("session"))
        outcome = result.get("delivery", "silent")
        reason = "the answer could not be queued" if outcome == "failed" else ""
        return Outcome(outcome, result["session"], reason)
