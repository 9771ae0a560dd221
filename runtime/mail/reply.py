"""One turn, one mail: the replies of a turn composed into the answer to the mail that caused it."""

from __future__ import annotations

import hashlib
import uuid

from .markup import clean_html, text_to_html
from .parsing import ReceivedMail
from .threads import mail_message_id

_RE = ("re:", "aw:", "ha:", "отв:", "re[")


def reply_subject(subject: str, replies: list[dict]) -> str:
    """Return `Re: <their subject>` (once), or a response's own subject when they gave none."""
    if not subject:
        named = next((r["subject"] for r in replies if r.get("subject")), "")
        return str(named)
    return subject if subject.lower().startswith(_RE) else f"Re: {subject}"


def reply_key(mail: ReceivedMail) -> str:
    """Return the idempotency key of the answer to a mail: the same for every redelivery of it."""
    origin = f"{mail.sender}\n{mail.message_id or uuid.uuid4().hex}"
    return "mail." + hashlib.sha256(origin.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def reply_payload(mail: ReceivedMail, replies: list[dict], ours: str) -> tuple[dict, str] | None:
    """Return the `send` payload and key of the one mail that answers a turn, or None if silent."""
    texts: list[str] = []
    htmls: list[str] = []
    for event in replies:
        if event.get("event") not in ("say", "ask"):
            continue
        text = event.get("mail") or event.get("text")
        if not text:
            continue
        texts.append(str(text))
        # a response's own HTML when it has some (cleaned: a template may have put a value
        # into it), else the text as escaped paragraphs
        html = event.get("html")
        htmls.append(clean_html(str(html)) if html else text_to_html(str(text)))
    if not texts:
        return None
    key = reply_key(mail)
    payload = {"channel": "email", "to": mail.sender, "from": ours,
               "subject": reply_subject(mail.subject, replies), "text": "\n\n".join(texts),
               "html": "\n".join(htmls)}
    if mail.message_id:
        payload["in_reply_to"] = mail.message_id
        payload["references"] = " ".join([*mail.references[-20:], mail.message_id])
    return payload, key


def our_message_id(key: str, ours: str) -> str:
    """Return the Message-ID the answer sent under `key` will carry."""
    return mail_message_id(key, ours)
