"""What every change of a flow reads from its request: the body's fields, If-Match, its author."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..auth import current_identity
from ..errors import BadRequest
from ..flowstore import Author, IfMatch
from .body import check_media_type, kind_of, parse_body, pointer_of, read_body

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # when the app sets no MAX_CONTENT_LENGTH
MAX_FIELDS_BYTES = 64 * 1024  # a body of a few fields (a note, an id)
MAX_NOTE = 2000


def document_body() -> tuple[bytes, Any]:
    """Return a flow document's body as sent, and as parsed (4xx when it is not JSON)."""
    check_media_type(request.content_type or "")
    data = read_body(request.environ,
                     current_app.config["MAX_CONTENT_LENGTH"] or MAX_DOCUMENT_BYTES)
    return data, parse_body(data)


def fields_body(strings: dict[str, bool], integers: dict[str, bool] | None = None) -> dict:
    """Return a JSON object body of the named fields (name -> required); 400 for anything else.

    `strings` are string fields (a null one counts as absent), `integers` positive integers.
    A request with no body at all has none of the fields.
    """
    integers = integers or {}
    data = read_body(request.environ, MAX_FIELDS_BYTES)
    if not data and not request.content_type:
        body: Any = {}  # no body at all: every field left out
    else:
        check_media_type(request.content_type or "")
        body = parse_body(data)
    if not isinstance(body, dict):
        raise BadRequest.fields([("", f"must be a JSON object, not {kind_of(body)}")])
    problems = [(pointer_of(key), "is not a field of this request") for key in body
                if key not in strings and key not in integers]
    for name, required in strings.items():
        problems += _string_problems(name, body.get(name), required)
    for name, required in integers.items():
        value = body.get(name)
        if value is None and not required:
            continue
        if isinstance(value, float) and value.is_integer():
            value = body[name] = int(value)  # JSON has one kind of number: 3.0 is 3
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append((pointer_of(name), "must be a whole number from 1"
                             if value is not None else "is required"))
    if problems:
        raise BadRequest.fields(problems)
    return {key: value for key, value in body.items() if value is not None}


def _string_problems(name: str, value: Any, required: bool) -> list[tuple[str, str]]:
    """Return the problems of one string field."""
    if value is None:
        return [(pointer_of(name), "is required")] if required else []
    if not isinstance(value, str):
        return [(pointer_of(name), f"must be a string, not {kind_of(value)}")]
    if len(value) > MAX_NOTE:
        return [(pointer_of(name), f"is longer than {MAX_NOTE} characters")]
    if "\x00" in value:  # neither a git commit message nor PostgreSQL's text holds one
        return [(pointer_of(name), "must not contain NUL")]
    return []


def if_match() -> IfMatch:
    """Return the ETags of `If-Match` ("*" for any), or None when the header is absent."""
    if request.headers.get("If-Match") is None:
        return None
    tags = request.if_match
    if tags.star_tag:
        return "*"
    # werkzeug reads the empty tag `""` as None; it names no copy, as "" does
    return frozenset(tag or "" for tag in tags.as_set(include_weak=True)) or frozenset({""})


def author() -> Author:
    """Return the signed-in user as the author of a change (their name and e-mail for git)."""
    identity = current_identity()
    name = getattr(identity, "display_name", None) or identity.name
    return Author(name, getattr(identity, "email", None) or "")
