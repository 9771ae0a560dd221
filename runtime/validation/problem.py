"""A problem found by validation: where (JSON pointer, file, line, field), how bad, and what."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

from .positions import escape_token, split_pointer

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document; `pointer` is a JSON pointer ("" for the whole document)."""

    severity: str
    pointer: str
    message: str
    block: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    # the field of the editor's form the problem is in; found from the pointer when not given
    field: str | None = None

    def __post_init__(self) -> None:
        if self.field is None:
            object.__setattr__(self, "field", field_of(self.pointer))

    @property
    def is_error(self) -> bool:
        """Return True for an error (which stops a flow from going live), False for a warning."""
        return self.severity == ERROR

    def as_dict(self) -> dict:
        """Return the JSON form: every field, None ones as null."""
        return asdict(self)

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        what = f"{self.pointer}: {self.message}" if self.pointer else self.message
        tail = f" [block {self.block}]" if self.block is not None else ""
        return f"{where}{self.severity}: {what}{tail}"


def join(pointer: str, *tokens: str | int) -> str:
    """Return `pointer` extended by reference tokens, escaped (`join("/blocks", "a/b")`)."""
    return pointer + "".join(f"/{escape_token(str(t))}" for t in tokens)


def field_of(pointer: str) -> str | None:
    """Return the field of the editor's form a pointer is in.

    Under a block, the field of its config (`timeout_s` for `/blocks/menu/config/timeout_s`
    and `/blocks/menu/config/timeout_s/0`) or the block's own key (`exits`, `type`, `config`
    for the config as a whole); elsewhere the flow's top-level key (`start`, `settings`,
    `blocks`). None for the whole document and a whole block.
    """
    tokens = split_pointer(pointer)
    if tokens[:1] != ["blocks"] or len(tokens) == 1:
        return tokens[0] if tokens else None
    below = tokens[2:]  # under /blocks/<id>
    if below[:1] == ["config"] and len(below) > 1:
        return below[1]
    return below[0] if below else None


def block_of(pointer: str) -> str | None:
    """Return the block id a pointer under `/blocks/<id>` is about, else None."""
    if not pointer.startswith("/blocks/"):
        return None
    return split_pointer(pointer)[1]


def error(pointer: str, message: str, block: str | None = None) -> Problem:
    """Return an error at `pointer`, naming its block when the pointer is under /blocks."""
    return Problem(ERROR, pointer, message, block if block is not None else block_of(pointer))


def warning(pointer: str, message: str, block: str | None = None) -> Problem:
    """Return a warning at `pointer`, naming its block when the pointer is under /blocks."""
    return Problem(WARNING, pointer, message, block if block is not None else block_of(pointer))


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Return problems sorted by pointer then message, each reported once."""
    return sorted(set(problems), key=lambda p: (p.pointer, p.message, p.severity))


def has_errors(problems: Iterable[Problem]) -> bool:
    """Return True when any problem is an error."""
    return any(p.is_error for p in problems)
