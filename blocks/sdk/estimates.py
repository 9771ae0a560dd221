"""How big a value an operation would build, worked out before it is built.

Every estimate is at least the truth, so that a refusal may come early but a value over the
budget is never built. Each one spends steps of the budget for the items it looks at.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Mapping
from typing import Any, Callable

from jinja2.runtime import Undefined
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup

from .limits import INT_BITS, MAX_DEPTH, Budget, TemplateLimitError, children, counted

STR, REPR, JSON = "str", "repr", "json"  # how a value is printed: str(), repr(), JSON
_OTHER = 100  # characters printed for an object that holds no data: a loop, a macro, a range
_FLOAT = 330  # characters `%f` prints for the largest float (1e308 has 309 digits)
_BRACKETS = 16  # characters a container adds around its items: `<Namespace {`, `dict_items([`
_TOO_WIDE = 10 ** 10  # a width written with more than 9 digits: more than any budget
_NUMBER = re.compile(r"\d+")
_LOREM_IPSUM = inspect.signature(generate_lorem_ipsum)


def text_size(budget: Budget, value: Any, style: str = STR) -> int:
    """Return at least how many characters `value` prints as; stop counting past the budget."""
    if children(value) is None:
        if style == STR:
            return _printed_size(value)
        return _inner_size(value, style)
    limit, left, total = budget.built, budget.steps, _BRACKETS
    stack = [iter(children(value))]
    while stack and total <= limit:
        for item in stack[-1]:
            left -= 1
            if left < 0:
                budget.steps = left
                raise TemplateLimitError("steps")
            inner = children(item)
            if inner is None:
                total += _inner_size(item, style) + 2  # and `, ` or `: `
                if total > limit:
                    break
                continue
            if len(stack) >= MAX_DEPTH:
                raise TemplateLimitError("depth")
            total += _BRACKETS
            stack.append(iter(inner))
            break
        else:
            stack.pop()
    budget.spend(budget.steps - left)
    return total


def _printed_size(value: Any) -> int:
    """Return the length of `str(value)` for a value that holds no other values."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Undefined):
        return 0
    return _inner_size(value, STR)


def _inner_size(value: Any, style: str) -> int:
    """Return at least the length of a value's repr (or JSON) as an item of a container."""
    if isinstance(value, str):
        return _json_string(value) if style == JSON else _repr_string(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if isinstance(value, float):
        return 24
    if isinstance(value, bytes):
        return 4 * len(value) + 3
    return _OTHER


def _repr_string(text: str) -> int:
    extra = 0 if type(text) is str else 10  # Markup('...')
    if text.isprintable():  # escapes only for backslashes and quotes
        return len(text) + 2 + text.count("\\") + text.count("'") + extra
    return 10 * len(text) + 2 + extra  # `\U0001f600` is the longest escape


def _json_string(text: str) -> int:
    if text.isascii() and text.isprintable():  # `\u003c` for <, >, &, ' in tojson; `\"`, `\\`
        specials = sum(text.count(c) for c in "<>&'\"\\")
        return len(text) + 2 + 5 * specials
    return 12 * len(text) + 2  # a character outside the BMP is two `\uXXXX`


def widest(text: str) -> int:
    """Return the largest number written in a format string or spec (a width or a precision)."""
    most = 0
    for digits in _NUMBER.findall(text):
        if len(digits) > 9:
            return _TOO_WIDE
        most = max(most, int(digits))
    return most


def printf_size(budget: Budget, template: str | bytes, args: Any) -> int:
    """Return at least the length of `template % args`."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    if isinstance(args, tuple):
        values: tuple = args
    elif isinstance(args, Mapping):  # `%(name)s`: any of its values, as often as `%` appears
        values = tuple(args.values())
    else:
        values = (args,)
    width, stars, largest = widest(text), "*" in text, 0
    for value in values:
        if isinstance(value, float):
            size = _FLOAT
        elif isinstance(value, int):
            size = value.bit_length() // 3 + 2
            if stars:  # a width or precision taken from the arguments
                width = max(width, abs(value))
        else:
            size = text_size(budget, value, REPR)
        largest = max(largest, size)
    if isinstance(template, Markup):
        largest *= 6  # its arguments are escaped: `"` becomes `&#34;`
    return len(text) + text.count("%") * (2 * width + largest)


def field_size(budget: Budget, value: Any, spec: str) -> int:
    """Return at least the length of `format(value, spec)`, a field of `str.format`."""
    if isinstance(value, int):
        size = value.bit_length() + 2  # binary is the longest
    elif isinstance(value, float):
        size = _FLOAT
    else:
        size = text_size(budget, value)
    return 2 * size + 2 * widest(spec)  # twice: signs, prefixes and thousands separators


def binop_size(budget: Budget, op: str, left: Any, right: Any) -> tuple[int, int] | None:
    """Return (size, depth) of what `left op right` builds, or None when it builds no text or list.

    The size counts characters of a text, items of a list; a number too large is refused here.
    """
    if op == "*":
        return _product(budget, left, right)
    if op == "+":
        return _sum(budget, left, right)
    if op == "%":
        return (printf_size(budget, left, right), 0) if isinstance(left, (str, bytes)) else None
    if op == "**":
        _power(left, right)
    return None


def _product(budget: Budget, left: Any, right: Any) -> tuple[int, int] | None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > INT_BITS:
            raise TemplateLimitError("digits")
        return None
    if isinstance(right, int):
        sequence, times = left, max(right, 0)
    elif isinstance(left, int):
        sequence, times = right, max(left, 0)
    else:
        return None
    if isinstance(sequence, (str, bytes)):
        return len(sequence) * times, 0
    if isinstance(sequence, (list, tuple)):
        items, depth = budget.measure(sequence)
        return (items - 1) * times + 1, depth
    return None


def _sum(budget: Budget, left: Any, right: Any) -> tuple[int, int] | None:
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        return len(left) + len(right), 0
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        (a, a_depth), (b, b_depth) = budget.measure(left), budget.measure(right)
        return a + b - 1, max(a_depth, b_depth)
    return None


def _power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > INT_BITS or exponent * math.log2(abs(base)) > INT_BITS:
            raise TemplateLimitError("digits")


def check_call(budget: Budget, function: Any, args: tuple, kwargs: dict) -> tuple:
    """Refuse a call that would build too much; return the arguments to call with."""
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", None)
    if isinstance(owner, (str, bytes)) and name in _TEXT_METHODS:
        return _TEXT_METHODS[name](budget, owner, *args, **kwargs) or args
    if isinstance(owner, int) and name == "to_bytes":
        _to_bytes(budget, *args, **kwargs)
    elif function is generate_lorem_ipsum:
        _lorem_ipsum(budget, *args, **kwargs)
    return args


def _padded(budget: Budget, text: str | bytes, width: Any = 0, *_: Any) -> None:
    if isinstance(width, int):
        budget.need(max(len(text), width))


def _expanded(budget: Budget, text: str | bytes, tabsize: Any = 8) -> None:
    if isinstance(tabsize, int):
        tab = "\t" if isinstance(text, str) else b"\t"
        budget.need(len(text) + text.count(tab) * max(tabsize, 0))  # type: ignore[arg-type]


def _replaced(budget: Budget, text: Any, old: Any, new: Any, count: Any = -1) -> None:
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.need(len(text) + found * max(len(new) - len(old), 0))


def _joined(budget: Budget, text: Any, iterable: Any) -> tuple:
    items = list(counted(iterable))  # a generator is read once: hand the list on
    size = sum(len(item) for item in items if isinstance(item, (str, bytes)))
    budget.need(size + len(text) * max(len(items) - 1, 0))
    return (items,)


def _split(budget: Budget, text: Any, sep: Any = None, maxsplit: Any = -1) -> None:
    # a list of many new small texts, made at once: its size is measured (a step per item)
    # once made, so refuse at once what that would refuse
    parts = len(text) // 2 + 1 if sep is None else text.count(sep) + 1 if sep else 1
    if isinstance(maxsplit, int) and maxsplit >= 0:
        parts = min(parts, maxsplit + 1)
    if parts > budget.steps:
        budget.spend(parts)


def _lines(budget: Budget, text: Any, keepends: Any = False) -> None:
    _split(budget, text, "\n" if isinstance(text, str) else b"\n")


def _translated(budget: Budget, text: Any, table: Any, *_: Any) -> None:
    if isinstance(text, str) and hasattr(table, "__len__"):
        budget.spend(len(table))
        values = table.values() if isinstance(table, Mapping) else table
        longest = max((len(v) for v in values if isinstance(v, str)), default=1)
        budget.need(len(text) * max(longest, 1))


def _to_bytes(budget: Budget, length: Any = 1, *_: Any, **__: Any) -> None:
    if isinstance(length, int):
        budget.need(length)


def _lorem_ipsum(budget: Budget, *args: Any, **kwargs: Any) -> None:
    bound = _LOREM_IPSUM.bind(*args, **kwargs)
    bound.apply_defaults()
    paragraphs, words = bound.arguments["n"], bound.arguments["max"]
    if isinstance(paragraphs, int) and isinstance(words, int):
        budget.need(paragraphs * (words * 16 + 16))  # words of up to 15 letters, and tags


_TEXT_METHODS: dict[str, Callable[..., tuple | None]] = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "expandtabs": _expanded, "replace": _replaced, "join": _joined, "translate": _translated,
    "split": _split, "rsplit": _split, "splitlines": _lines,
}
