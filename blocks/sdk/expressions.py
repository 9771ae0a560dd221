"""A fast path for the commonest template expressions, with Jinja's own meaning.

`{{ vars.i + 1 }}` or `{{ vars.total > 100 and contact.tier == "gold" }}` run on every step of
busy flows, and Jinja spends most of such a call building its render context. For expressions
made only of names, item look-ups, constants, arithmetic, comparisons and `and`/`or`/`not`, we
compile the parsed Jinja AST into plain closures. Whenever a value is not one whose behaviour we
reproduce exactly (a missing key, an attribute a dict really has, a non-number in arithmetic),
the closure gives up and the caller evaluates the expression with Jinja instead, so the result is
always Jinja's.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from jinja2 import nodes
from jinja2.environment import Environment

from .limits import INT_BITS

Compiled = Callable[[dict], Any]


class GiveUp(Exception):
    """The fast path cannot vouch for this value; evaluate with Jinja."""


_ARITHMETIC = {nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Div: operator.truediv,
               nodes.FloorDiv: operator.floordiv, nodes.Mod: operator.mod}
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lteq": operator.le,
            "gt": operator.gt, "gteq": operator.ge}
_NUMBERS = (int, float)
_PLAIN = (int, float, str, bool, type(None))


def compile_fast(env: Environment, expression: str) -> Compiled | None:
    """Return a closure evaluating `expression` like Jinja, or None when it is outside the subset."""
    try:
        template = env.parse("{{ " + expression + " }}")
    except Exception:  # a syntax error: let Jinja report it in its own words
        return None
    body = template.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    return _compile(body[0].nodes[0])


def _compile(node: nodes.Node) -> Compiled | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, _PLAIN):
        value = node.value
        return lambda scope: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return _name(node.name)
    if isinstance(node, nodes.Getattr):
        return _lookup(_compile(node.node), node.attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
            and isinstance(node.arg.value, str):
        return _lookup(_compile(node.node), node.arg.value)
    if isinstance(node, nodes.Mul):
        return _arithmetic(_product, _compile(node.left), _compile(node.right))
    if type(node) in _ARITHMETIC:
        return _arithmetic(_ARITHMETIC[type(node)], _compile(node.left), _compile(node.right))
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in _COMPARE:
        return _comparison(_COMPARE[node.ops[0].op], _compile(node.expr), _compile(node.ops[0].expr))
    if isinstance(node, (nodes.And, nodes.Or)):
        return _logic(isinstance(node, nodes.And), _compile(node.left), _compile(node.right))
    if isinstance(node, nodes.Not):
        inner = _compile(node.node)
        return None if inner is None else (lambda scope: not _truth(inner(scope)))
    if isinstance(node, nodes.Neg):
        inner = _compile(node.node)
        return None if inner is None else (lambda scope: -_number(inner(scope)))
    return None


def _name(name: str) -> Compiled:
    def load(scope: dict) -> Any:
        if name in scope:
            return scope[name]
        raise GiveUp
    return load


def _lookup(inner: Compiled | None, key: str) -> Compiled | None:
    # Jinja looks up an attribute before an item; a key a dict also has as an attribute (`items`)
    # or a private name is left to Jinja and its sandbox.
    if inner is None or key.startswith("_") or hasattr(dict, key):
        return None

    def lookup(scope: dict) -> Any:
        value = inner(scope)
        if type(value) is dict and key in value:
            return value[key]
        raise GiveUp
    return lookup


def _number(value: Any) -> Any:
    if type(value) in _NUMBERS:
        return value
    raise GiveUp


def _truth(value: Any) -> bool:
    if isinstance(value, _PLAIN) or type(value) in (list, dict):
        return bool(value)
    raise GiveUp


def _product(a: Any, b: Any) -> Any:
    # `vars.x * vars.x` in a loop of steps squares a number each time: past the limit on
    # digits, Jinja's sandbox (which refuses it with a clear error) takes over
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > INT_BITS:
        raise GiveUp
    return a * b


def _arithmetic(op: Callable, left: Compiled | None, right: Compiled | None) -> Compiled | None:
    if left is None or right is None:
        return None

    def apply(scope: dict) -> Any:
        try:
            return op(_number(left(scope)), _number(right(scope)))
        except ZeroDivisionError:
            raise GiveUp from None  # Jinja's error message, not ours
    return apply


def _comparison(op: Callable, left: Compiled | None, right: Compiled | None) -> Compiled | None:
    if left is None or right is None:
        return None

    def compare(scope: dict) -> bool:
        a, b = left(scope), right(scope)
        if type(a) not in _PLAIN or type(b) not in _PLAIN:
            raise GiveUp
        try:
            return op(a, b)
        except TypeError:
            raise GiveUp from None
    return compare


def _logic(conjunction: bool, left: Compiled | None, right: Compiled | None) -> Compiled | None:
    if left is None or right is None:
        return None
    if conjunction:
        return lambda scope: (a if not _truth(a := left(scope)) else right(scope))
    return lambda scope: (a if _truth(a := left(scope)) else right(scope))
