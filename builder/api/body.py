"""Request bodies: read whole within a size limit whatever their framing, then parsed as JSON.

Nothing here depends on Flask, so the chat routes (WSGI and ASGI) and the Flask views share it.
A body is refused as a client's mistake (4xx, each problem with its JSON pointer) for anything
this server could not hold or send back: a lone surrogate, an integer of more digits than
Python reads, NaN or Infinity, a key repeated in one object, nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any, Awaitable, Callable, MutableMapping

import orjson

from ..errors import ApiError, BadRequest, UnsupportedMediaType

# containers in containers: far more than any request needs, far fewer than orjson writes (254)
MAX_DEPTH = 64
# 19 digits in a row: perhaps an integer past 64 bits, which orjson would read as a float
_LONG_DIGITS = re.compile(rb"\d{19}")
# the escape of half a surrogate pair, which alone is not a character
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class ClientDisconnected(ApiError):
    """The client went away before its whole body arrived (nobody reads the answer)."""

    code = "client_disconnected"
    status = 400

    def __init__(self, message: str = "the client went away before its whole body arrived") -> None:
        super().__init__(message)


def check_media_type(content_type: str) -> None:
    """Refuse (415) a body that is not JSON."""
    mimetype = content_type.partition(";")[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        sent = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type application/json (got {sent})")


def check_length(length: str, limit: int) -> int:
    """Return a Content-Length header's value; refuse one that is no number or over the limit."""
    if not (length.isascii() and length.isdigit()):  # isdigit alone takes "²"
        raise BadRequest.fields([("", f"has a Content-Length header {length[:40]!r} that is not "
                                      f"a number")])
    if len(length.lstrip("0")) > 18 or int(length) > limit:  # int() reads no 5000 digits
        raise too_large(limit)
    return int(length)


def too_large(limit: int) -> ApiError:
    """Return the 413 error of a body over `limit` bytes."""
    return ApiError(f"the body is over {limit} bytes, the most this URL takes",
                    code="request_entity_too_large", status=413)


class BodyReader:
    """Collect a body's pieces as they come; refuse it past the limit or unlike its length."""

    __slots__ = ("limit", "expected", "size", "pieces")

    def __init__(self, content_length: str | None, limit: int) -> None:
        self.limit = limit
        self.expected = check_length(content_length, limit) if content_length else None
        self.size = 0
        self.pieces: list[bytes] = []

    def add(self, piece: bytes) -> None:
        """Take the next piece; refuse (413) the body as soon as it is over the limit."""
        self.size += len(piece)
        if self.size > self.limit:  # chunked, or more than its Content-Length said
            raise too_large(self.limit)
        self.pieces.append(piece)

    def body(self) -> bytes:
        """Return the whole body; refuse (400) one other than its Content-Length announced."""
        if self.expected is not None and self.size != self.expected:
            ended = "ended after" if self.size < self.expected else "ran on to"
            raise BadRequest.fields([("", f"{ended} {self.size} bytes where its Content-Length "
                                          f"announced {self.expected}; it is not read in part")])
        return b"".join(self.pieces)


def read_body(environ: dict, limit: int) -> bytes:
    """Return a WSGI request's whole body: 413 past `limit` however framed, 400 if cut short."""
    reader = BodyReader(environ.get("CONTENT_LENGTH"), limit)
    if environ.get("wsgi.input_terminated"):
        most = limit + 1  # the server ends the input (chunked, or ASGI): read to its end
    elif reader.expected is not None:
        most = reader.expected  # a plain WSGI input is read no further than announced
    else:
        return b""  # WSGI: neither a length nor an input that ends is no body
    stream = environ["wsgi.input"]
    while reader.size < most:
        piece = stream.read(most - reader.size)
        if not piece:
            break
        reader.add(piece)
    return reader.body()


async def receive_body(receive: Receive, content_length: str | None, limit: int) -> bytes:
    """Return an ASGI request's whole body: 413 as soon as it passes `limit`, 400 if cut short."""
    reader = BodyReader(content_length, limit)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        reader.add(message.get("body", b""))
        if not message.get("more_body"):
            return reader.body()


def parse_body(data: bytes) -> Any:
    """Parse a JSON body, or raise BadRequest naming where it is malformed or refused."""
    # orjson reads UTF-8 JSON in a third of the time and refuses lone surrogates, NaN, numbers
    # past a double and nesting past 1024. What it reads differently (integers past 64 bits,
    # repeated keys) or refuses goes to json, whose hooks mark what is refused, to be named.
    if not _LONG_DIGITS.search(data):
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if _plain(data, value):
                return value
    value = _read_marked(data)
    problems = _problems(value, MAX_DEPTH)
    if problems:
        raise BadRequest.fields(problems)
    return value


def check_readable(text: str) -> None:
    """Refuse (400) a JSON text with lone surrogates or integers of more digits than are read."""
    # for documents validated elsewhere (a flow), whose validation reports every other problem
    if not _SURROGATE_ESCAPE.search(text) and not _longest_digits_over_limit(text):
        return
    try:
        value = json.loads(text, parse_int=_integer)
    except (ValueError, RecursionError):
        return  # malformed or too deep: the document's validation says so
    problems = _problems(value, sys.maxsize)
    if problems:
        raise BadRequest.fields(problems)


def _longest_digits_over_limit(text: str) -> bool:
    """Return whether a text has a run of more digits than int() reads."""
    limit = sys.get_int_max_str_digits()
    # the lookbehind starts a match only where a run starts: one pass, whatever the runs
    return bool(limit) and re.search(rf"(?<!\d)\d{{{limit + 1}}}", text) is not None


def _plain(data: bytes, value: Any) -> bool:
    """Return whether orjson's reading needs no second look: a flat object, no key twice."""
    if type(value) is not dict:
        return data.count(b"{") + data.count(b"[") == 0  # a lone string, number or literal
    # A ':' follows each key once: as many colons as keys read means no key came twice.
    # One bracket is the object's own: nothing nests in it.
    colons = data.count(b":")
    if colons == len(value) and data.count(b"{") + data.count(b"[") == 1:
        return True
    return _flat_and_unrepeated(data, value, colons)


def _flat_and_unrepeated(data: bytes, value: dict, colons: int) -> bool:
    """Return whether an object of strings and numbers has every key once (colons may be text)."""
    if b"\\u" in data:
        return False  # an escape may hide a colon (\u003a) from the count
    in_text = 0
    for key, item in value.items():
        if type(item) is dict or type(item) is list:
            return False
        in_text += key.count(":") + (item.count(":") if type(item) is str else 0)
    # without escapes, every colon the count found beyond the keys' own is in a key or a string
    return colons == len(value) + in_text


def _read_marked(data: bytes) -> Any:
    """Parse a body with json, marking refused values; raise BadRequest if it is malformed."""
    try:
        return json.loads(data, object_pairs_hook=_object, parse_int=_integer,
                          parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}",
                         details=[{"pointer": "", "message": exc.msg, "line": exc.lineno,
                                   "column": exc.colno}]) from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}",
                         details=[{"pointer": "", "message": "not UTF-8 text"}]) from None
    except RecursionError:  # past json's own depth: far past ours
        raise BadRequest.fields([("", f"nests more than {MAX_DEPTH} levels deep")]) from None


class _Refused:
    """A value json read that a body may not hold, with the reason (a mark for _problems)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Repeated(dict):
    """An object in which keys came more than once (a mark for _problems)."""

    __slots__ = ("repeated",)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    """Return an object's members as a dict, marked when a key came more than once."""
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    marked = _Repeated(members)
    seen: set[str] = set()
    marked.repeated = []
    for key, _ in pairs:
        if key in seen and key not in marked.repeated:
            marked.repeated.append(key)
        seen.add(key)
    return marked


def _integer(digits: str) -> int | _Refused:
    """Return an integer, or a mark for one of more digits than Python reads."""
    try:
        return int(digits)
    except ValueError:  # over sys.get_int_max_str_digits(): json itself would raise this
        return _Refused(f"is an integer of {len(digits.lstrip('-'))} digits; at most "
                        f"{sys.get_int_max_str_digits()} are read")


def _float(text: str) -> float | _Refused:
    """Return a number, or a mark for one past the largest double."""
    number = float(text)
    if math.isfinite(number):
        return number
    return _Refused(f"is a number past the largest a double holds (~1.8e308): {_cut(text)}")


def _constant(name: str) -> _Refused:
    """Return the mark of NaN, Infinity or -Infinity, which JSON does not have."""
    return _Refused(f"is {name}, which is not JSON (JSON has no NaN or Infinity)")


def _problems(root: Any, max_depth: int) -> list[tuple[str, str]]:
    """Return (pointer, message) for every marked value, lone surrogate and too deep nesting."""
    problems: list[tuple[str, str]] = []
    pending: list[tuple[str, Any, int]] = [("", root, 0)]
    while pending:
        pointer, value, depth = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and (found := _SURROGATE.search(value)):
                problems.append((pointer, "holds " + _surrogate_message(found)))
        elif isinstance(value, _Refused):
            problems.append((pointer, value.reason))
        elif depth >= max_depth and isinstance(value, (dict, list)):
            problems.append((pointer, f"nests more than {max_depth} levels deep"))
        elif isinstance(value, dict):
            problems += _key_problems(pointer, value)
            members = [(pointer + pointer_of(key), item, depth + 1)
                       for key, item in value.items() if not _SURROGATE.search(key)]
            pending += reversed(members)  # taken from the end: in the body's order
        elif isinstance(value, list):
            pending += reversed([(f"{pointer}/{index}", item, depth + 1)
                                 for index, item in enumerate(value)])
    return problems


def _key_problems(pointer: str, members: dict) -> list[tuple[str, str]]:
    """Return the problems of an object's keys: lone surrogates, keys that came twice."""
    # a pointer holding a lone surrogate could not be sent back: such a key is named by its
    # object's pointer, with the surrogate written as its escape
    problems = [(pointer, f"has a key {_cut(key)} holding {_surrogate_message(found)}")
                for key in members if not key.isascii() and (found := _SURROGATE.search(key))]
    for key in getattr(members, "repeated", ()):
        problem = "came more than once in its object (JSON readers differ on which one counts)"
        if _SURROGATE.search(key):
            problems.append((pointer, f"has the key {_cut(key)} more than once"))
        else:
            problems.append((pointer + pointer_of(key), problem))
    return problems


def _surrogate_message(found: re.Match) -> str:
    """Describe a lone surrogate found in a string: which one, and where."""
    return (f"a lone surrogate \\u{ord(found.group()):04x} at character {found.start() + 1}"
            f", which is not Unicode text: send the character itself, or both halves of its "
            f"UTF-16 pair")


def _cut(text: str, most: int = 40) -> str:
    """Return a piece of sent text for a message: quoted, cut short, surrogates escaped."""
    return repr(text if len(text) <= most else text[:most] + "...")  # repr escapes surrogates


def kind_of(value: Any) -> str:
    """Return the JSON type name of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a value")


def pointer_of(key: str) -> str:
    """Return a key's step in a JSON pointer: `/key`, escaped as RFC 6901 says."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def unknown_fields(body: dict, fields: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    """Return a problem for each member of `body` that is not one of `fields` of `what`."""
    return [(pointer_of(key), f"is not a field of {what} (expected {', '.join(fields)})")
            for key in body if key not in fields]
