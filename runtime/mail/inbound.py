"""The e-mail channel's inbound handling on the messaging path (runtime.messaging.conversation).

What a mail adds to a plain message travels in `Message.extra`: `mail` (the ReceivedMail),
`thread` (the session its In-Reply-To or References name), `details` (subject, Message-ID and
attachments) and `ours` (the address we answer from). What became of the turn's answer is the
inbound answer's `delivery`: `answered`, `silent` or `failed`.
"""

from __future__ import annotations

import logging

from runtime.messaging.conversation import (Host, InboundChannel, Message, register_inbound,
                                            waits_for)
from runtime.sessions import Session, SessionStore

from .reply import our_message_id, reply_payload
from .threads import remember_thread

log = logging.getLogger(__name__)


class MailInbound(InboundChannel):
    """E-mail: a reply in a thread continues its session; a turn's replies leave as one mail."""

    name = "email"

    def find(self, sessions: SessionStore, message: Message, flow_id: str) -> Session | None:
        """Return the session the mail's thread names while it waits for this sender, else the
        sender's open conversation on this flow."""
        thread = message.extra.get("thread")
        session = sessions.get(thread) if thread else None
        if waits_for(session, message, flow_id):
            return session
        return super().find(sessions, message, flow_id)

    def trigger(self, message: Message) -> tuple[dict, dict]:
        """Return the trigger (with the mail's subject and attachments) and the contact."""
        trigger, contact = super().trigger(message)
        return {**trigger, **message.extra.get("details", {})}, contact

    def variables(self, message: Message) -> dict | None:
        """Give the session the mail's details as `vars.message`."""
        details = message.extra.get("details")
        return {"message": details} if details else None

    def deliver(self, host: Host, session: Session, replies: list[dict],
                message: Message) -> str:
        """Queue the turn's replies as one mail answering the customer's, in its thread."""
        mail, ours = message.extra.get("mail"), message.extra.get("ours", "")
        job = reply_payload(mail, replies, ours) if mail is not None else None
        if job is None:
            return "silent"
        payload, key = job
        # the thread is known before the answer leaves, so a quick reply to it finds its session
        remember_thread(host.sessions, our_message_id(key, ours), session.id)
        try:
            host.enqueue("send", payload, key)
        except Exception:  # the turn has happened: say loudly what was not queued
            log.exception("the answer %s to mail %s (session %s) could not be queued", key,
                          mail.message_id, session.id)
            return "failed"
        return "answered"


register_inbound(MailInbound())

__all__ = ["MailInbound"]
