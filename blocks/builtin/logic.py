"""The logic family: `set` variables, `branch` on conditions, `split` traffic by percentage.

These blocks run in tight loops, so each compiles its config once in `__init__`: their fields
are raw (not rendered by the engine), which makes `self.config` the config of every run.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from blocks.sdk import Block, BlockError, Context, read_manifest
from blocks.sdk.templates import is_template, template_error

from .conditions import compile_async_condition, compile_condition, condition_problems, uses_expr

Evaluator = Callable[[Context], Any]

_WRITABLE_PATH = re.compile(r"(?:vars|contact)(?:\.[^.]+)+")
_RESERVED_EXIT = "error"


def _token(key: str) -> str:
    """Escape an object key as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


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
                for p in _template_problems(v, f"{pointer}/{_token(k)}")]
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
            pointer = f"/values/{_token(path)}"
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


class BranchBlock(Block):
    """Take the exit of the first rule whose condition holds, else `default`."""

    manifest = read_manifest(__package__, "branch.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        rules = config.get("rules")
        self._rules: tuple[tuple[Any, str, bool], ...] = tuple(
            _rule(rule, i) for i, rule in enumerate(rules if isinstance(rules, list) else ())
            if isinstance(rule, dict))

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report broken conditions (bad patterns, templates, values) and reserved exit names."""
        problems: list[tuple[str, str]] = []
        for i, rule in enumerate(config.get("rules", [])):
            problems.extend(condition_problems(rule.get("when"), f"/rules/{i}/when"))
            if rule.get("exit") == _RESERVED_EXIT:
                problems.append((f"/rules/{i}/exit", "the `error` exit is reserved for failures; "
                                                     "name this rule's exit differently"))
        return problems

    async def run(self, ctx: Context) -> str:
        """Test the rules in order; the first that holds names the exit."""
        for test, exit_name, awaited in self._rules:
            if (await test(ctx)) if awaited else test(ctx):
                return exit_name
        return "default"


def _rule(rule: dict, index: int) -> tuple[Any, str, bool]:
    """Compile one rule: (test, exit, whether the test must be awaited because it holds `expr`)."""
    where, when = f"/rules/{index}/when", rule.get("when")
    if uses_expr(when):
        return compile_async_condition(when, where), rule.get("exit", "default"), True
    return compile_condition(when, where), rule.get("exit", "default"), False


class SplitBlock(Block):
    """Send each session down one branch at random, by percentage (A/B tests, gradual rollouts)."""

    manifest = read_manifest(__package__, "split.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        bounds: list[tuple[float, str]] = []
        total = 0.0
        for branch in config.get("branches") or ():
            if isinstance(branch, dict) and _percent(branch) > 0:
                total += _percent(branch)
                bounds.append((total, branch.get("exit", "error")))
        # Scaling by the total keeps the proportions if the sum is off (validation reports that).
        self._bounds = tuple(bounds)
        self._total = total

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report percentages that do not add up to 100 and reserved exit names."""
        branches = config.get("branches", [])
        problems = [(f"/branches/{i}/exit", "the `error` exit is reserved for failures; name this "
                                            "branch's exit differently")
                    for i, branch in enumerate(branches) if branch.get("exit") == _RESERVED_EXIT]
        total = sum(_percent(branch) for branch in branches)
        if abs(total - 100) > 1e-6:
            problems.append(("/branches", f"the percentages add up to {total:g}, not 100"))
        return problems

    async def run(self, ctx: Context) -> str:
        """Pick a branch: a random point on the cumulative percentages."""
        if not self._bounds:
            raise BlockError("split has no branch with a percentage above 0")
        point = ctx.random() * self._total
        for bound, exit_name in self._bounds:
            if point < bound:
                return exit_name
        return self._bounds[-1][1]  # only reached through rounding at the very top


def _percent(branch: dict) -> float:
    """Return a branch's percentage, 0 when it is not a number."""
    value = branch.get("percent")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


BLOCKS = (SetBlock, BranchBlock, SplitBlock)
