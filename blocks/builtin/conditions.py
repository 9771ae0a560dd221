"""Structured conditions (`branch` rules): checked at validation, compiled once into callables.

A condition is `{"var": "vars.balance", "op": ">", "value": 100}`, `{"all": [...]}`,
`{"any": [...]}`, `{"not": {...}}` or `{"expr": "..."}`. Values from chat arrive as text, so
numbers and numeric texts compare as numbers ("150" > 100); two texts that are not both numeric
order as texts ("2026-01-05" < "2026-02-01"); any other ordering is an error naming the condition,
never a silent false. The JSON Schema of a condition lives in `branch.json` (`definitions`).
"""

from __future__ import annotations

import json
import operator
import re
from typing import Any, Awaitable, Callable

from blocks.sdk import BlockError, Context
from blocks.sdk.templates import is_template, template_error

Test = Callable[[Context], bool]
AsyncTest = Callable[[Context], Awaitable[bool]]
Relation = Callable[[Any, Any], bool]

OPERATORS = ("==", "!=", ">", ">=", "<", "<=", "in", "not_in", "contains", "matches", "empty",
             "not_empty")
UNARY = ("empty", "not_empty")

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NATIVE = (int, float)  # bool is left out on purpose: in a flow `true` is not the number 1
_SCALAR = (str, int, float)
_LONGEST_NUMBER = 100  # longer texts are not numbers (and int() refuses very long digit runs)


class _Mismatch(Exception):
    """Two values an operator cannot relate; the condition turns it into a BlockError."""


def _number(value: Any) -> int | float | None:
    """Return a number or numeric text as a number, else None."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str and len(value) <= _LONGEST_NUMBER:
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            return float(text)
    return None


def _show(value: Any) -> str:
    """Describe a value for an error message: its JSON kind and a short rendering."""
    if value is None:
        return "no value (null or not set)"
    kind = {bool: "boolean", str: "text", int: "number", float: "number", list: "list",
            dict: "object"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def _equal(left: Any, right: Any) -> bool:
    """Return True when two values are equal, a number matching its numeric text."""
    a, b = type(left), type(right)
    if a is b or (a in _NATIVE and b in _NATIVE):
        return left == right
    if a in _NATIVE and b is str:
        return _number(right) == left
    if b in _NATIVE and a is str:
        return _number(left) == right
    return False  # different kinds (true vs 1, null vs "") are never equal


def _ordered(left: Any, right: Any) -> tuple[Any, Any]:
    """Return the pair in a form that orders: numbers, else two texts; raise _Mismatch otherwise."""
    if type(left) in _NATIVE and type(right) in _NATIVE:
        return left, right
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a, b
    if type(left) is str and type(right) is str:
        return left, right
    raise _Mismatch(f"cannot order {_show(left)} and {_show(right)}")


def _within(left: Any, right: Any) -> bool:
    """Return True when `left` is an item of a list, a part of a text or a key of an object."""
    if right is None:
        return False
    if type(right) is str:
        if left is None:
            return False
        if type(left) not in _SCALAR:
            raise _Mismatch(f"cannot look for {_show(left)} in a text")
        return str(left) in right
    if type(right) is list:
        return any(_equal(left, item) for item in right)
    if type(right) is dict:
        return type(left) is str and left in right
    raise _Mismatch(f"needs a list or a text to look in, not {_show(right)}")


def _contains(left: Any, right: Any) -> bool:
    """Return True when a text holds a part (case-sensitive), a list an item, an object a key."""
    if left is None:
        return False
    if type(left) is str:
        if type(right) not in _SCALAR:
            raise _Mismatch(f"a text can only contain a text or a number, not {_show(right)}")
        return str(right) in left
    if type(left) is list:
        return any(_equal(item, right) for item in left)
    if type(left) is dict:
        return type(right) is str and right in left
    raise _Mismatch(f"cannot look inside {_show(left)}")


def _matches(left: Any, pattern: Any) -> bool:
    """Return True when the regular expression is found (re.search) in the value as text."""
    if left is None:
        return False
    if type(left) not in _SCALAR:
        raise _Mismatch(f"cannot match {_show(left)} against a pattern")
    if not isinstance(pattern, re.Pattern):  # a templated pattern, known only at run time
        if type(pattern) is not str:
            raise _Mismatch(f"the pattern must be a text, not {_show(pattern)}")
        try:
            pattern = re.compile(pattern)  # `re` caches compiled patterns itself
        except re.error as exc:
            raise _Mismatch(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern.search(str(left)) is not None


def _ordering(compare: Callable[[Any, Any], bool]) -> Relation:
    """Return a relation that orders its pair with `compare` once `_ordered` made it comparable."""
    def relation(left: Any, right: Any) -> bool:
        """Compare two values as numbers or as texts."""
        return compare(*_ordered(left, right))
    return relation


def _empty(left: Any, _: Any) -> bool:
    """Return True for a missing value, null, "", [] or {}."""
    return left is None or (type(left) in (str, list, dict) and not left)


_RELATIONS: dict[str, Relation] = {
    "==": _equal,
    "!=": lambda left, right: not _equal(left, right),
    ">": _ordering(operator.gt),
    ">=": _ordering(operator.ge),
    "<": _ordering(operator.lt),
    "<=": _ordering(operator.le),
    "in": _within,
    "not_in": lambda left, right: not _within(left, right),
    "contains": _contains,
    "matches": _matches,
    "empty": _empty,
    "not_empty": lambda left, right: not _empty(left, right),
}


def compile_condition(condition: Any, where: str = "") -> Test:
    """Compile a condition once into `test(ctx) -> bool`; `where` is its JSON pointer for errors.

    A malformed condition (which validation reports) compiles to a test that raises BlockError,
    so loading a flow never fails on it and running it takes the `error` exit.
    """
    if not isinstance(condition, dict) or len(condition) == 0:
        return _failing(f"condition at {where or '/'} is not a condition object")
    if "all" in condition or "any" in condition:
        return _group(condition, where)
    if "not" in condition:
        inner = compile_condition(condition["not"], f"{where}/not")
        return lambda ctx: not inner(ctx)
    if "expr" in condition:
        return _failing(f"condition at {where or '/'} holds an `expr`: compile it with "
                        "compile_async_condition")
    if condition.get("op") in _RELATIONS and isinstance(condition.get("var"), str):
        return _leaf(condition, where)
    return _failing(f"condition at {where or '/'} needs `var` and a known `op`, or `all`, `any`, "
                    f"`not` or `expr`")


def uses_expr(condition: Any) -> bool:
    """Return True when a condition has an `expr` anywhere, so it must be awaited."""
    if not isinstance(condition, dict):
        return False
    if "expr" in condition:
        return True
    nested = condition.get("all") or condition.get("any") or []
    return uses_expr(condition.get("not")) or (
        isinstance(nested, list) and any(uses_expr(c) for c in nested))


def compile_async_condition(condition: Any, where: str = "") -> AsyncTest:
    """Compile a condition that holds an `expr` into an awaitable test.

    `expr` runs in the script sandbox through `ctx.evaluate`; everything around it keeps the
    synchronous tests of `compile_condition`, so only the `expr` itself pays for the sandbox.
    """
    if not uses_expr(condition):
        sync = compile_condition(condition, where)

        async def lifted(ctx: Context) -> bool:
            return sync(ctx)
        return lifted
    if "not" in condition:
        inner = compile_async_condition(condition["not"], f"{where}/not")

        async def negated(ctx: Context) -> bool:
            return not await inner(ctx)
        return negated
    if "expr" in condition:
        return _expression(condition["expr"], where)
    key = "all" if "all" in condition else "any"
    tests = tuple(compile_async_condition(c, f"{where}/{key}/{i}")
                  for i, c in enumerate(condition[key]))

    async def group(ctx: Context) -> bool:
        for test in tests:
            if await test(ctx) != (key == "all"):
                return key != "all"
        return key == "all"
    return group


def _expression(expression: Any, where: str) -> AsyncTest:
    """Compile an `expr` leaf: the sandbox evaluates it, and its truth decides."""
    async def evaluate(ctx: Context) -> bool:
        if not isinstance(expression, str) or not expression.strip():
            raise BlockError(f"condition at {where}/expr needs an expression")
        try:
            return bool(await ctx.evaluate(expression))
        except BlockError as exc:
            raise BlockError(f"condition `{_brief(expression)}` at {where}/expr: {exc}") from None
    return evaluate


def _group(condition: dict, where: str) -> Test:
    """Compile `all` (every test holds) or `any` (one test holds), short-circuiting."""
    key = "all" if "all" in condition else "any"
    items = condition[key]
    if not isinstance(items, list):
        return _failing(f"condition at {where}/{key} must be a list of conditions")
    tests = tuple(compile_condition(c, f"{where}/{key}/{i}") for i, c in enumerate(items))
    if len(tests) == 1:
        return tests[0]
    if key == "all":
        def every(ctx: Context) -> bool:
            """Return True when every test holds."""
            for test in tests:
                if not test(ctx):
                    return False
            return True
        return every

    def some(ctx: Context) -> bool:
        """Return True when one test holds."""
        for test in tests:
            if test(ctx):
                return True
        return False
    return some


def _leaf(condition: dict, where: str) -> Test:
    """Compile `{var, op, value}`: the value is a literal or a template evaluated with ctx.value."""
    path, op, value = condition["var"], condition["op"], condition.get("value")
    relate = _RELATIONS[op]
    label = f"`{path} {op}`" if op in UNARY else f"`{path} {op} {_brief(value)}`"
    dynamic = isinstance(value, str) and is_template(value)
    if op == "matches" and isinstance(value, str) and not dynamic:
        try:
            value = re.compile(value)
        except re.error as exc:
            return _failing(f"condition {label} at {where}: invalid regular expression: {exc}")

    def test(ctx: Context) -> bool:
        """Evaluate the comparison against the session's data."""
        right = ctx.value(value) if dynamic else value
        try:
            return relate(ctx.get(path), right)
        except _Mismatch as exc:
            raise BlockError(f"condition {label} at {where}: {exc}") from None
    return test


def _brief(value: Any) -> str:
    """Render a condition's value compactly for messages."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _failing(message: str) -> Test:
    """Return a test that always raises BlockError with the message."""
    def fail(ctx: Context) -> bool:
        """Raise the error the condition stands for."""
        raise BlockError(message)
    return fail


def condition_problems(condition: Any, where: str) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for what is wrong in a condition beyond its schema."""
    if not isinstance(condition, dict):
        return [(where, "a condition must be an object")]
    for key in ("all", "any"):
        if key in condition:
            items = condition[key]
            if not isinstance(items, list) or not items:
                return [(f"{where}/{key}", f"`{key}` needs a non-empty list of conditions")]
            return [p for i, c in enumerate(items)
                    for p in condition_problems(c, f"{where}/{key}/{i}")]
    if "not" in condition:
        return condition_problems(condition["not"], f"{where}/not")
    if "expr" in condition:
        expr = condition["expr"]
        return [] if isinstance(expr, str) and expr.strip() else [
            (f"{where}/expr", "`expr` needs an expression")]
    return _leaf_problems(condition, where)


def _leaf_problems(condition: dict, where: str) -> list[tuple[str, str]]:
    """Return what is wrong in a `{var, op, value}` condition."""
    op = condition.get("op")
    if not isinstance(condition.get("var"), str):
        return [(f"{where}/var", "a condition needs `var`, the path of the value to test")]
    if op not in _RELATIONS:
        return [(f"{where}/op", f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")]
    if op in UNARY:
        return []
    if "value" not in condition:
        return [(f"{where}/value", f"operator {op!r} needs a `value`")]
    value = condition["value"]
    if isinstance(value, str) and is_template(value):
        error = template_error(value)
        return [(f"{where}/value", error)] if error else []
    return _literal_problems(op, value, f"{where}/value")


def _literal_problems(op: str, value: Any, pointer: str) -> list[tuple[str, str]]:
    """Return what is wrong with a literal value for an operator."""
    if op == "matches":
        if not isinstance(value, str):
            return [(pointer, "`matches` needs a regular expression (a text)")]
        try:
            re.compile(value)
        except re.error as exc:
            return [(pointer, f"invalid regular expression: {exc}")]
    elif op in ("in", "not_in") and not isinstance(value, (str, list)):
        return [(pointer, f"`{op}` needs a list or a text to look in")]
    elif op in (">", ">=", "<", "<=") and type(value) not in _SCALAR:
        return [(pointer, f"`{op}` needs a number or a text to compare with")]
    return []
