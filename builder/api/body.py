"""Reading JSON request bodies: parse errors with line and column, names of JSON types and keys.

Nothing here depends on Flask, so the chat routes (WSGI and ASGI) and the Flask views share it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ..errors import BadRequest


# 19 digits in a row: perhaps an integer past 64 bits, which orjson would read as a float
_LONG_DIGITS = re.compile(rb"\d{19}")


def parse_body(data: bytes) -> Any:
    """Parse a JSON body, or raise BadRequest saying where it is malformed."""
    # orjson reads UTF-8 JSON in a third of the time. What it would read differently (integers
    # past 64 bits) or refuses (other encodings, NaN, lone surrogates, errors) goes to json,
    # which keeps big integers exact and says where a body is wrong.
    if not _LONG_DIGITS.search(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}",
                         details=[{"pointer": "", "message": exc.msg, "line": exc.lineno,
                                   "column": exc.colno}]) from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 text: {exc.reason} at byte {exc.start}",
                         details=[{"pointer": "", "message": "not UTF-8 text"}]) from None


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
    """Return the JSON pointer of a top-level key (RFC 6901 escaping)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
