"""A received mail read with the standard library's `email` package (policy.default).

Whatever the bytes are, reading gives a `ReceivedMail`: a body that cannot be decoded is read as
far as it can be, and what was wrong is kept in `defects` for the log, never raised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from .markup import html_to_text
from .quoting import new_text

log = logging.getLogger(__name__)


@dataclass
class Part:
    """An attachment as received: its name, type and bytes."""

    name: str
    content_type: str
    data: bytes


@dataclass
class ReceivedMail:
    """What a flow and the reply need of a mail."""

    message: EmailMessage
    sender: str  # the From address, lower-cased
    subject: str
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # only the new text: quote and signature cut off
    attachments: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def read_mail(data: bytes, envelope_sender: str = "") -> ReceivedMail:
    """Read a mail's bytes; never raise on malformed MIME, list what was wrong in `defects`."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    defects = [type(d).__name__ for d in message.defects]
    raw = {name.lower(): str(value) for name, value in message.raw_items()}
    # addresses and ids are read from the raw values (no decoding needed: cheaper, and an
    # encoded word cannot smuggle a second address in); the subject is decoded
    address = parseaddr(" ".join(raw.get("from", "").split()))[1] or envelope_sender.strip("<> ")
    body, attachments = _body(message, defects), _attachments(message, defects)
    return ReceivedMail(message=message, sender=address.lower(),
                        subject=_header(message, "Subject", defects).strip(),
                        message_id=next(iter(_ids(raw.get("message-id", ""))), None),
                        in_reply_to=_ids(raw.get("in-reply-to", "")),
                        references=_ids(raw.get("references", "")),
                        text=new_text(body), attachments=attachments, defects=defects)


def _header(message: EmailMessage, name: str, defects: list[str]) -> str:
    """Return a header as text; an undecodable one is read raw and noted."""
    try:
        value = message.get(name)
    except (ValueError, LookupError, IndexError, TypeError) as exc:
        defects.append(f"{name}: {exc}")
        raw = message._headers  # the unparsed (name, value) pairs the parser kept
        value = next((v for n, v in raw if n.lower() == name.lower()), "")
    return " ".join(str(value or "").split())


def _ids(value: str) -> list[str]:
    """Return the <message ids> of a Message-ID, In-Reply-To or References header."""
    found = [token.strip() for token in value.replace(">", "> ").split() if token.strip()]
    return [token for token in found if token.startswith("<") and token.endswith(">")
            and len(token) > 2][:50]


def _body(message: EmailMessage, defects: list[str]) -> str:
    """Return the text a person wrote: the plain part, else the HTML part read as text."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (ValueError, LookupError, IndexError, TypeError, AttributeError) as exc:
        defects.append(f"body: {exc}")
        part = None
    if part is None:
        return ""
    content = _content(part, defects)
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _content(part: EmailMessage, defects: list[str]) -> str:
    """Return a text part's content; an unknown charset or a broken encoding is read leniently."""
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, UnicodeError, AssertionError, KeyError) as exc:
        defects.append(f"{part.get_content_type()}: {exc}")
    raw = part.get_payload(decode=True) or b""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _attachments(message: EmailMessage, defects: list[str]) -> list[Part]:
    """Return the mail's attachments (none for a single-part mail)."""
    found: list[Part] = []
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
    except (ValueError, LookupError, TypeError, AttributeError) as exc:
        defects.append(f"attachments: {exc}")
        return found
    for part in parts:
        if part.is_multipart():  # a forwarded mail's own parts: kept as the one attachment it is
            data = part.as_bytes()
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        found.append(Part(part.get_filename() or "attachment", part.get_content_type(), data))
    return found
