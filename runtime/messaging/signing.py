"""Webhook signatures: HMAC-SHA256 over a timestamp and the raw body, checked in constant time.

`X-Callwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` is carried by
every message and callback we send and required on every inbound webhook. The timestamp bounds
a replay: a signature more than `TOLERANCE_S` seconds away from the receiver's clock is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from runtime.errors import EngineError

SIGNATURE_HEADER = "X-Callwright-Signature"
TOLERANCE_S = 300
SCHEME = "v1"
# whole unix seconds have 10 digits until 2286 and 12 until the year 33658; a stamp of more is
# not seconds (13 are milliseconds), and thousands of digits are more than int() will read
MAX_STAMP_DIGITS = 12
# t, one v1 per secret in rotation and a few newer schemes: a header of more is not a signature
MAX_PARTS = 16
_FORMAT = f"t=<unix seconds>,{SCHEME}=<hex HMAC-SHA256>"
_HEX = re.compile(r"[0-9a-f]{64}")


class SignatureError(EngineError):
    """A request's signature is missing, malformed, out of its time window or wrong."""

    code = "bad_signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Return the signature header value of a body: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={stamp},{SCHEME}={_digest(secret, stamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None,
           tolerance_s: float = TOLERANCE_S) -> int:
    """Check a signature header against the raw body; return its timestamp.

    Raise SignatureError saying what is wrong.
    """
    if header is None or not header.strip():
        raise SignatureError(f"the request has no {SIGNATURE_HEADER} header")
    stamp, macs = _parse(header)
    moment = time.time() if now is None else now
    age = moment - stamp
    if age > tolerance_s:
        raise SignatureError(f"the {SIGNATURE_HEADER} timestamp is {age:.0f} s old; signatures "
                             f"are accepted for {tolerance_s:g} s (is the sender's clock right?)")
    if -age > tolerance_s:
        raise SignatureError(f"the {SIGNATURE_HEADER} timestamp is {-age:.0f} s in the future; "
                             f"signatures are accepted within {tolerance_s:g} s of this server's "
                             f"clock (is the sender's clock right?)")
    expected = _digest(secret, stamp, body).encode("ascii")
    # every candidate is compared, so the time taken says nothing about which came close
    matches = [hmac.compare_digest(expected, mac.encode("ascii")) for mac in macs]
    if not any(matches):
        raise SignatureError(f"the {SIGNATURE_HEADER} does not match the body: sign the raw body "
                             f"exactly as sent, with the shared [webhooks] secret")
    return stamp


def _digest(secret: str, stamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of `<stamp>.<body>` under the secret."""
    if not secret:
        raise ValueError("a signature needs a non-empty secret ([webhooks] secret)")
    return hmac.new(secret.encode("utf-8"), f"{stamp}.".encode("ascii") + body,
                    hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    """Return the timestamp and the v1 MACs of a header; raise SignatureError when malformed."""
    parts = header.split(",")
    if len(parts) > MAX_PARTS:
        raise _malformed(header, f"it has {len(parts)} parts; a signature has at most {MAX_PARTS}")
    stamp: int | None = None
    macs: list[str] = []
    for part in parts:
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise _malformed(header, f"{_shown(part.strip())} is not name=value")
        if name == "t":
            if stamp is not None:
                raise _malformed(header, "t must appear once")
            stamp = _stamp(header, value)
        elif name == SCHEME:
            if not _HEX.fullmatch(value):
                raise _malformed(header, f"{SCHEME} must be 64 lower-case hex digits, not "
                                         f"{len(value)} characters {_shown(value)}")
            macs.append(value)
        # other schemes are ignored, so a sender may add a newer one beside v1
    if stamp is None or not macs:
        raise _malformed(header, f"it needs both t and {SCHEME}")
    return stamp, macs


def _stamp(header: str, value: str) -> int:
    """Return the whole unix seconds of a t value; raise SignatureError for anything else."""
    if not (value.isascii() and value.isdigit()):  # isdigit alone takes "²" and "١"
        raise _malformed(header, f"t must be whole unix seconds (digits 0-9 only), not "
                                 f"{_shown(value)}")
    if len(value) > MAX_STAMP_DIGITS:
        raise _malformed(header, f"t has {len(value)} digits; whole unix seconds have at most "
                                 f"{MAX_STAMP_DIGITS} (milliseconds have 13)")
    return int(value)


def _shown(text: str, most: int = 24) -> str:
    """Return a piece of a header for a message: quoted, ASCII, cut short when long."""
    return ascii(text if len(text) <= most else text[:most] + "...")


def _malformed(header: str, reason: str) -> SignatureError:
    """Return the error for a header that cannot be read."""
    return SignatureError(f"the {SIGNATURE_HEADER} header {_shown(header, 120)} is malformed "
                          f"({reason}); expected {_FORMAT}")


__all__ = ["SIGNATURE_HEADER", "SignatureError", "TOLERANCE_S", "sign", "verify"]
