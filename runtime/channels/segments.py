"""SMS segments: how a text is encoded (GSM-7 or UCS-2) and split into the parts a handset joins.

A text wholly in the GSM 03.38 default alphabet and its extension table goes as GSM-7 septets:
one septet a character, two for an extension character (an escape and the character), 160 in
one message, 153 in each part of a longer one (the rest is the concatenation header). Any other
character (Cyrillic, most emoji) sends the whole text as UCS-2, that is UTF-16: 70 units alone,
67 a part, and a character outside the Basic Multilingual Plane (most emoji) takes two units.
A part never ends inside a character (an escape pair, a surrogate pair), nor between a character
and the marks, joiners and modifiers that make one symbol with it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 default alphabet, positions 0x00-0x7F, less 0x1B (the escape to the extension table,
# which a text does not carry itself)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà") - {"\x1b"}
# the extension table: each is sent as the escape septet and one more
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7, UCS2 = "gsm7", "ucs2"
SINGLE = {GSM7: 160, UCS2: 70}  # septets or UTF-16 units in a message that is not split
PART = {GSM7: 153, UCS2: 67}  # the same in each part of a concatenated message
# the most parts one outbound text may take unless [sms] max_segments says otherwise: gateways
# refuse longer texts (Twilio: 1,600 characters, about 10 GSM-7 segments)
MOST_SEGMENTS = 10
_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")  # ZWJ, text/emoji presentation, keycap


@dataclass(frozen=True)
class Segments:
    """How a text goes out as SMS: its encoding and the parts it is split into."""

    encoding: str  # gsm7 or ucs2
    parts: tuple[str, ...]
    units: int  # septets (gsm7) or UTF-16 code units (ucs2) of the whole text

    @property
    def count(self) -> int:
        """Return how many messages the text takes (one for an empty text)."""
        return max(1, len(self.parts))


_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def encoding_of(text: str) -> str:
    """Return `gsm7` when every character is in the GSM-7 alphabet or its extension, else `ucs2`."""
    return GSM7 if _GSM7_ALL.issuperset(text) else UCS2


def width(ch: str, encoding: str) -> int:
    """Return the septets (gsm7) or UTF-16 units (ucs2) one character takes."""
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def segment(text: str) -> Segments:
    """Return a text's encoding and the parts it is sent in."""
    encoding = encoding_of(text)
    if encoding == GSM7:
        units = len(text) + sum(map(GSM7_EXTENSION.__contains__, text))
    else:
        units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if units <= SINGLE[encoding]:
        return Segments(encoding, (text,) if text else (), units)
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for symbol in _symbols(text):
        size = sum(width(ch, encoding) for ch in symbol)
        if used + size > PART[encoding] and current:
            parts.append("".join(current))
            current, used = [], 0
        if size > PART[encoding]:  # one symbol longer than a part: split it by characters
            for ch in symbol:
                if used + width(ch, encoding) > PART[encoding]:
                    parts.append("".join(current))
                    current, used = [], 0
                current.append(ch)
                used += width(ch, encoding)
            continue
        current.append(symbol)
        used += size
    if current:
        parts.append("".join(current))
    return Segments(encoding, tuple(parts), units)


def _symbols(text: str) -> list[str]:
    """Return the text as symbols: a character with the marks, joiners and modifiers it carries."""
    symbols: list[str] = []
    for ch in text:
        if symbols and (_attaches(ch) or symbols[-1][-1] == "\u200d"
                        or _second_flag_letter(symbols[-1], ch)):
            symbols[-1] += ch
        else:
            symbols.append(ch)
    return symbols


def _attaches(ch: str) -> bool:
    """Return True for a character drawn as part of the one before it."""
    return (ch in _JOINERS or unicodedata.combining(ch) > 0
            or 0x1F3FB <= ord(ch) <= 0x1F3FF  # skin tones
            or 0xE0020 <= ord(ch) <= 0xE007F)  # tag characters of subdivision flags


def _second_flag_letter(symbol: str, ch: str) -> bool:
    """Return True when `ch` completes a flag: the second of two regional indicator letters."""
    return _regional(ch) and len(symbol) == 1 and _regional(symbol)


def _regional(ch: str) -> bool:
    """Return True for a regional indicator letter (two of them make a country's flag)."""
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


__all__ = ["GSM7", "GSM7_BASIC", "GSM7_EXTENSION", "PART", "SINGLE", "Segments", "UCS2",
           "encoding_of", "segment", "width"]
