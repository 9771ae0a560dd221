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

import ipaddress
import re
from dataclasses import dataclass

MAX_DATAGRAM = 16 * 1024  # SIP over UDP stays under the path MTU; 16 kB is generous
REQUEST_LINE = re.compile(rb"^([A-Za-z]+) (\S+) (SIP/\d+\.\d+)$")
FOLD = re.compile(rb"\r\n[ \t]+")
UNESCAPED_QUOTE = re.compile(rb'(?<!\\)"')
CONTENT_LENGTH = {b"content-length", b"l"}
NAME_ADDRS = {b"from", b"f", b"to", b"t", b"contact", b"m"}
VIA = {b"via", b"v"}
SENT_BY = re.compile(rb"^SIP\s*/\s*2\.0\s*/\s*[A-Za-z]+\s+(\[[^\]]*\]|[^\s;:]+)(?:\s*:\s*(\d+))?",
                     re.IGNORECASE)

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
    vias = [value for name, value in headers if name in VIA]
    if vias:
        problem = _via_problem(vias[0].split(b",")[0])
        if problem:
            return Refusal(problem, None)  # where an answer would go is what is wrong
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


def _via_problem(via: bytes) -> str | None:
    """Return why a top Via cannot be answered to (RFC 3261 18.2.2), or None.

    Responses go where it says: a port out of range, or a `received` that is not an address,
    would make every answer to it fail to send.
    """
    sent_by = SENT_BY.match(via.strip())
    if sent_by is None:
        return "a Via without a SIP/2.0 sent-by"
    if sent_by.group(2) is not None and not 0 < int(sent_by.group(2)) < 65536:
        return "a Via port out of range"
    for parameter in via.split(b";")[1:]:
        key, _, value = parameter.partition(b"=")
        key, value = key.strip().lower(), value.strip()
        if key == b"received":
            try:
                ipaddress.ip_address(value.decode("ascii").strip("[]"))
            except (UnicodeDecodeError, ValueError):
                return "a Via received= that is not an IP address"
        elif key == b"rport" and value and not (value.isdigit() and 0 < int(value) < 65536):
            return "a Via rport= out of range"
    return None
