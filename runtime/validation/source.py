"""JSON text to documents, and problems placed back in their files (file, line)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from .positions import bare_constant, duplicate_keys, lines_of, split_pointer
from .problem import ERROR, Problem, block_of


class _BareConstant(ValueError):
    """json.loads met NaN or Infinity, which Python accepts and JSON does not."""


def _refuse_constant(token: str) -> Any:
    """Refuse NaN and Infinity while parsing."""
    raise _BareConstant(token)


def parse_json(text: str, source: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse a JSON text; return (document, []) or (None, [errors with line and column]).

    Besides malformed JSON, a text is refused for NaN/Infinity (not JSON) and for a key repeated
    in one object (JSON would silently keep only the last: every repeat is reported).
    """
    repeated: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        members = dict(items)
        if len(members) != len(items):
            repeated.append(True)
        return members

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return None, [Problem(ERROR, "", f"{exc.msg} at line {exc.lineno} column {exc.colno}",
                              file=source, line=exc.lineno, column=exc.colno)]
    except _BareConstant as exc:
        token, line, column = bare_constant(text) or (str(exc), None, None)
        message = f"{token} is not valid JSON at line {line} column {column}"
        return None, [Problem(ERROR, "", message,
                              file=source, line=line, column=column)]
    except RecursionError:
        return None, [Problem(ERROR, "", "the document is nested too deeply", file=source)]
    if repeated:
        return None, [Problem(ERROR, pointer, f"duplicate key {split_pointer(pointer)[-1]!r} (JSON "
                                              f"would keep only the last) at line {line} "
                                              f"column {column}",
                              block=block_of(pointer), file=source, line=line, column=column)
                      for pointer, line, column in duplicate_keys(text)]
    return doc, []


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 file (a BOM is tolerated); return (text, []) or (None, [an error])."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(ERROR, "", f"cannot read: {exc.strerror or exc}", file=str(path))]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(ERROR, "", f"not UTF-8: byte 0x{data[exc.start]:02x} at line {line}",
                              file=str(path), line=line)]


def read_json(path: Path) -> tuple[str | None, Any, list[Problem]]:
    """Read and parse a JSON file; return (text, document, problems)."""
    text, problems = read_text(path)
    if text is None:
        return None, None, problems
    doc, problems = parse_json(text, str(path))
    return text, doc, problems


def locate(problems: Iterable[Problem], text: str, file: str) -> list[Problem]:
    """Return the problems with `file` set and `line` filled from their pointers in `text`."""
    problems = list(problems)
    lines = lines_of(text, {p.pointer for p in problems if p.line is None})
    return [replace(p, file=file, line=p.line if p.line is not None else lines.get(p.pointer))
            for p in problems]
