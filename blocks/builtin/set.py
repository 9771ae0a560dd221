"""`set`: set variables (`vars.x`) and contact fields (`contact.email`), in the order written.

It runs in tight loops, so it compiles its values once in `__init__`: its fields are raw (not
rendered by the engine), which makes `self.config` the config of every run.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from blocks.sdk import Block, Context, pointer_token, read_manifest
from blocks.sdk.templates import is_template, template_error

Evaluator = Callable[[Context], Any]

_WRITABLE_PATH = re.compile(r"(?:vars|contact)(?:\.[^.]+)+")


def _evaluator(value: Any) -> Evaluator | None:
    """Compile a template-or-literal; None for an immutable literal stored as it is.

    Objects and lists are rebuilt on every run so that sessions never share (and never mutate)
    the flow's config; template texts inside them are evaluated like top-level ones.
    """
    if isinstance(value, str):
        return (lambda ctx: ctx.value(value)) if is_template(value) else None
    if isinstance(value, dict):
        fields = tuple((k, _evaluator(v), v) for k, v in value.items())
        return lambda ctx: {k: v if f is None else f(ctx) for k, f, v in fields}
    if isinstance(value, list):
        items = tuple((_evaluator(v), v) for v in value)
        return lambda ctx: [v if f is None else f(ctx) for f, v in items]
    return None  # numbers, booleans and null are immutable


def _template_problems(value: Any, pointer: str) -> list[tuple[str, str]]:
    """Return template syntax errors anywhere in a value, each with its pointer."""
    if isinstance(value, str):
        error = template_error(value) if is_template(value) else None
        return [(pointer, error)] if error else []
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in _template_problems(v, f"{pointer}/{pointer_token(k)}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _template_problems(v, f"{pointer}/{i}")]
    return []


class SetBlock(Block):
    """Set variables (`vars.x`) and contact fields (`contact.email`), in the order written."""

    manifest = read_manifest(__package__, "set.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        values = config.get("values")
        if not isinstance(values, dict):  # validation refuses it; running sets nothing
            values = {}
        self._assignments = tuple((path, _evaluator(v), v) for path, v in values.items())

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report paths that cannot be set and broken templates."""
        problems: list[tuple[str, str]] = []
        for path, value in config.get("values", {}).items():
            pointer = f"/values/{pointer_token(path)}"
            if not _WRITABLE_PATH.fullmatch(path):
                problems.append((pointer, f"cannot set {path!r}: a path starts with vars. or "
                                          f"contact. and names a field, such as vars.account"))
            problems.extend(_template_problems(value, pointer))
        return problems

    async def run(self, ctx: Context) -> str:
        """Evaluate each value and store it; later values see the earlier ones."""
        for path, evaluate, literal in self._assignments:
            ctx.set(path, literal if evaluate is None else evaluate(ctx))
        return "next"


BLOCKS = (SetBlock,)
