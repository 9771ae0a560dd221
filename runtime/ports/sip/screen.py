"""What a SIP datagram must be before the stack parses it: the checks aiosipua leaves to us.

aiosipua 0.7.1 parses generously (docs/decisions/sip-stack.md): it reads any size over UDP,
keeps NUL bytes and replaces undecodable ones, takes a bare CR for a line break (so a header
can be smuggled inside another), ignores the SIP version, a CSeq naming another method, a
Content-Length that is negative, repeated or larger than the body, and an unterminated quoted
string. `screen` finds those in the raw bytes of a request and says how to answer it: 505 for
another SIP version, 400 for the rest, nothing at all for what is too large or not a request.
Responses pass through: the stack matches them to what we sent, or drops them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DATAGRAM = 16 * 1024  # SIP over UDP stays under the path MTU; 16 kB is generous
REQUEST_LINE = re.compile(rb"^([A-Za-z]+) (\S+) (SIP/\d+\.\d+)$")
FOLD = re.compile(rb"\r\n[ \t]+")
UNESCAPED_QUOTE = re.compile(rb'(?<!\\)"')
CONTENT_LENGTH = {b"content-length", b"l"}
NAME_ADDRS = {b"from", b"f", b"to", b"t", b"contact", b"m"}

@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a datagram is refused, and the status to answer it with (None: drop it silently)."""

    reason: str
    status: int | None = 400


def screen(data: bytes) -> Refusal | None:
    """Return why a request datagram must be refused, or None when the stack may parse it."""
    if len(data) > MAX_DATAGRAM:
        return Refusal(f"larger than {MAX_DATAGRAM} bytes", None)
    head, separator, body = data.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0]
    if first.startswith(b"SIP/"):
        return None  # a response
    request = REQUEST_LINE.match(first)
    if request is None:
        return Refusal("not a SIP request line", None)
    if request.group(3) != b"SIP/2.0":
        return Refusal(f"SIP version {request.group(3).decode('ascii')} is not supported", 505)
    if b"\x00" in head:
        return Refusal("a NUL byte in the headers")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal("headers that are not UTF-8")
    if b"\r" in head.replace(b"\r\n", b""):
        return Refusal("a CR that does not end a line")
    headers = [(name.strip().lower(), value.strip()) for name, _, value in
               (line.partition(b":") for line in FOLD.sub(b" ", head).split(b"\r\n")[1:])]
    lengths = {value for name, value in headers if name in CONTENT_LENGTH}
    if len(lengths) > 1:
        return Refusal("Content-Length given twice, differently")
    if lengths:
        (length,) = lengths
        if not length.isdigit() or len(length) > 6:
            return Refusal(f"Content-Length {length.decode('ascii', 'replace')!r} is not a size")
        if int(length) > len(body) or (int(length) and not separator):
            return Refusal("a body shorter than its Content-Length (a truncated datagram)")
    for name, value in headers:
        if name == b"cseq":
            parts = value.split()
            if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
                return Refusal("a CSeq that is not a number and a method")
            if parts[1].upper() != request.group(1).upper():
                return Refusal("the CSeq names another method than the request")
        elif name in NAME_ADDRS and len(UNESCAPED_QUOTE.findall(value)) % 2:
            return Refusal("a quoted string that never ends")
    return None
