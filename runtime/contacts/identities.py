"""A contact's identities: what kinds there are and the one written form of each value.

A phone number is kept in E.164 (runtime.messaging.numbers), an e-mail address in lower case,
a chat visitor id and a CRM id as they are (trimmed); the same customer then has the same
identity whichever way a channel or a flow wrote it.
"""

from __future__ import annotations

import re

from runtime.errors import EngineError
from runtime.messaging.numbers import NumberError, e164

KINDS = ("phone", "email", "chat", "crm_id")
# the contact fields a flow sets with `set` once it has verified them, and the kind of each
VERIFIED_FIELDS = {"phone": "phone", "email": "email", "crm_id": "crm_id"}
MAX_VALUE = 320  # the longest e-mail address there can be; every kind fits in it
# an address as mail systems accept it: one @, something on both sides, no spaces
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class IdentityError(EngineError, ValueError):
    """A value is not an identity of its kind; the message names the field it came from."""

    code = "invalid_identity"


def identity(kind: str, value: object, region: str | None = None,
             field: str = "identity") -> tuple[str, str]:
    """Return (kind, value) in its one written form; raise IdentityError naming `field`."""
    if kind not in KINDS:
        raise IdentityError(f"{field}: unknown identity kind {kind!r}; kinds are "
                            f"{', '.join(KINDS)}")
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise IdentityError(f"{field}: a {kind} identity is a non-empty text")
    text = str(value).strip()
    if "\x00" in text or len(text) > MAX_VALUE:
        raise IdentityError(f"{field}: a {kind} identity has at most {MAX_VALUE} characters "
                            f"and no NUL")
    if kind == "phone":
        try:
            return kind, e164(text, region, field)
        except NumberError as exc:
            raise IdentityError(str(exc)) from None
    if kind == "email":
        if not _EMAIL.fullmatch(text):
            raise IdentityError(f"{field}: {text[:80]!r} is not an e-mail address")
        return kind, text.lower()
    return kind, text


def parse_identity(text: str, region: str | None = None,
                   field: str = "identity") -> tuple[str, str]:
    """Read `kind:value` (the API's `?identity=`); a bare value is a phone number or address."""
    kind, colon, value = text.partition(":")
    if colon and kind in KINDS:
        return identity(kind, value, region, field)
    guessed = "email" if "@" in text else "phone"
    return identity(guessed, text, region, field)


def sender_identity(channel: str, sender: object,
                    region: str | None = None) -> tuple[str, str] | None:
    """Return the identity a session's sender (`contact.from`) gives on a channel, if any.

    A caller's or texter's number is a phone; a mail sender an e-mail; a chat visitor the id
    the widget sent (a visitor who sent none is nobody known until the flow links an identity);
    a messenger's user id (webhook) a chat id of that channel. A caller id that is no phone
    number (a SIP URI, "anonymous") identifies nobody.
    """
    try:
        if channel in ("sms", "voice"):
            return identity("phone", sender, region, "contact.from") if sender else None
        if channel == "email":
            return identity("email", sender, region, "contact.from") if sender else None
        if channel == "chat":
            return identity("chat", sender, region, "contact.from") if sender else None
        if sender:
            return identity("chat", f"{channel}:{sender}", region, "contact.from")
    except IdentityError:
        return None
    return None


__all__ = ["KINDS", "VERIFIED_FIELDS", "IdentityError", "identity", "parse_identity",
           "sender_identity"]
