"""Where things are in a JSON text: the line of the value at a JSON pointer, in one linear pass.

A small regex tokenizer, not a parser: it assumes the text is JSON (run it after `json.loads`
accepted the text) and never raises on text that is not; it then finds less, never crashes.
"""

from __future__ import annotations

import json
import re
from typing import Callable, Iterable, Iterator

# One token: a string (escapes included), a punctuation mark, or a bare literal/number.
_TOKEN = re.compile(r'\s*(?:("[^"\\]*(?:\\.[^"\\]*)*")|([{}\[\]:,])|([^\s{}\[\]:,"]+))', re.S)
_BARE_CONSTANTS = frozenset({"NaN", "Infinity", "-Infinity"})


def split_pointer(pointer: str) -> list[str]:
    """Return the reference tokens of a JSON pointer (`/a~1b/0` -> ["a/b", "0"])."""
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def escape_token(token: str) -> str:
    """Escape one reference token for a JSON pointer (`a/b` -> `a~1b`)."""
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def line_at(text: str, offset: int) -> int:
    """Return the 1-based line of a character offset."""
    return text.count("\n", 0, offset) + 1


def column_at(text: str, offset: int) -> int:
    """Return the 1-based column of a character offset."""
    return offset - (text.rfind("\n", 0, offset) + 1) + 1


def lines_at(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """Return the 1-based line of each offset, counting each stretch of the text once.

    A count per offset would read the text once per problem: quadratic in a big flow.
    """
    lines: dict[int, int] = {}
    line, counted = 1, 0
    for offset in sorted(set(offsets)):
        line += text.count("\n", counted, offset)
        counted = offset
        lines[offset] = line
    return lines


def line_of(text: str, pointer: str) -> int | None:
    """Return the 1-based line where the value at `pointer` starts, or None when it is absent."""
    offset = offsets_of(text, [pointer]).get(pointer)
    return None if offset is None else line_at(text, offset)


def lines_of(text: str, pointers: Iterable[str]) -> dict[str, int]:
    """Return the line of each pointer found; an absent one falls back to its nearest ancestor."""
    wanted = set(pointers)
    everything = set(wanted)
    for pointer in wanted:
        while pointer:
            pointer = pointer[:pointer.rfind("/")]
            everything.add(pointer)
    found = offsets_of(text, everything)
    line_of_offset = lines_at(text, found.values())
    lines: dict[str, int] = {}
    for pointer in wanted:
        probe = pointer
        while probe not in found and probe:
            probe = probe[:probe.rfind("/")]
        if probe in found:
            lines[pointer] = line_of_offset[found[probe]]
    return lines


def offsets_of(text: str, pointers: Iterable[str]) -> dict[str, int]:
    """Return the character offset where each found pointer's value starts (one pass)."""
    wanted = set(pointers)
    # enter only containers on the way to a wanted pointer; skip the rest cheaply
    prefixes = {p[:i] for p in wanted for i in range(len(p) + 1) if i == len(p) or p[i] == "/"}
    found: dict[str, int] = {}
    for kind, pointer, offset in _events(text, prefixes.__contains__):
        if kind == "value" and pointer in wanted and pointer not in found:
            found[pointer] = offset
            if len(found) == len(wanted):
                break
    return found


def duplicate_keys(text: str) -> list[tuple[str, int, int]]:
    """Return (pointer, line, column) of every object member whose key repeats an earlier one."""
    found = [(pointer, offset) for kind, pointer, offset in _events(text, lambda pointer: True)
             if kind == "duplicate"]
    lines = lines_at(text, (offset for _, offset in found))
    return [(pointer, lines[offset], column_at(text, offset)) for pointer, offset in found]


def bare_constant(text: str) -> tuple[str, int, int] | None:
    """Return (token, line, column) of the first NaN/Infinity outside strings (not JSON)."""
    for match in _TOKEN.finditer(text):
        if match.group(3) in _BARE_CONSTANTS:
            offset = match.start(3)
            return match.group(3), line_at(text, offset), column_at(text, offset)
    return None


class _Frame:
    """An open object or array while walking: its pointer, and where we are inside it."""

    __slots__ = ("pointer", "is_object", "index", "key", "seen")

    def __init__(self, pointer: str, is_object: bool) -> None:
        self.pointer = pointer
        self.is_object = is_object
        self.index = 0
        self.key: str | None = None
        self.seen: set[str] = set()


def _events(text: str, enter: Callable[[str], bool]) -> Iterator[tuple[str, str, int]]:
    """Yield ("value"|"key"|"duplicate", pointer, offset) in document order, iteratively.

    Containers whose pointer `enter` refuses are skipped without looking at their members.
    """
    stack: list[_Frame] = []
    tokens = _TOKEN.finditer(text)
    for match in tokens:
        string, punct = match.group(1), match.group(2)
        offset = match.start(match.lastindex or 0)
        if punct in ("}", "]"):
            if stack:
                stack.pop()
            continue
        if punct in (",", ":"):
            continue
        frame = stack[-1] if stack else None
        if frame is not None and frame.is_object and frame.key is None:
            if string is None:
                continue  # not JSON; find what we can
            frame.key = _key(string)
            pointer = f"{frame.pointer}/{escape_token(frame.key)}"
            yield ("duplicate" if frame.key in frame.seen else "key"), pointer, offset
            frame.seen.add(frame.key)
            continue
        if frame is None:
            pointer = ""
        elif frame.is_object:
            pointer = f"{frame.pointer}/{escape_token(frame.key)}"
            frame.key = None
        else:
            pointer = f"{frame.pointer}/{frame.index}"
            frame.index += 1
        yield "value", pointer, offset
        if punct in ("{", "["):
            if enter(pointer):
                stack.append(_Frame(pointer, punct == "{"))
            else:
                _skip_container(tokens)


def _skip_container(tokens: Iterator[re.Match]) -> None:
    """Consume tokens up to the end of the container whose opener was just read."""
    depth = 1
    for match in tokens:
        punct = match.group(2)
        if punct in ("{", "["):
            depth += 1
        elif punct in ("}", "]"):
            depth -= 1
            if depth == 0:
                return


def _key(token: str) -> str:
    """Decode a string token to the key it names."""
    try:
        return json.loads(token)
    except ValueError:
        return token[1:-1]
