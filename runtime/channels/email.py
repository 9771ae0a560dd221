"""E-mail: plain text with "Reply 1 for ..." lines; a named response brings its subject and HTML."""

from __future__ import annotations

from .sms import SmsChannel


class EmailChannel(SmsChannel):
    """Renders messages as the plain text of a mail; the replies of a turn go out as one mail."""

    name = "email"
    text_field = "mail"
    counts_segments = False
