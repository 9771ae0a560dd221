"""Only what the customer wrote this time: the quoted earlier message and the signature cut off."""

from __future__ import annotations

import re

# the line a mail client writes above the message it quotes, in the languages we serve
_ATTRIBUTION = re.compile(
    r"^\s*(On\s.+wrote:|Am\s.+schrieb.*:|Le\s.+a écrit\s*:|.*\d.*пиш(ет|ешь).*:|"
    r"-{2,}\s*(Original Message|Исходное сообщение|Ursprüngliche Nachricht)\s*-{2,}|"
    r"_{10,})\s*$", re.IGNORECASE)
# "-- " is the standard signature separator; phones add their own line
_SIGNATURE = re.compile(r"^(-- ?|—\s?|Sent from my .+|Отправлено с .+|Get Outlook for .+)$")


def new_text(body: str) -> str:
    """Return the new text of a reply: above the quote and its attribution, without signature."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.startswith(">") or _ATTRIBUTION.match(line) or _SIGNATURE.match(line.rstrip()):
            break
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    # a mail that was nothing but a quote (a forward with no comment) keeps its body, unquoted
    return text or "\n".join(line.lstrip("> ").rstrip() for line in body.splitlines()).strip()
