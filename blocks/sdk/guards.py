"""Jinja's filters behind the budget: a step per call, a size check before, the result paid after.

Filters that iterate their input get it through `counted`, so every item they read is a step;
filters that print their input check what printing it makes; the few that can make much from
little (`center`, `indent`, `wordwrap`, `replace`, `format`, `join`, `batch`, `sum`, `tojson`...)
have a check of their own. A guarded filter takes the context, so Jinja never runs it while
compiling (constant folding), only while rendering under a budget.
"""

from __future__ import annotations

from typing import Any, Callable

from jinja2 import pass_context
from jinja2.filters import make_attrgetter
from jinja2.runtime import Context

from .estimates import JSON, REPR, printf_size, text_size
from .limits import MAX_INT_DIGITS, Budget, TemplateLimitError, active, charge, counted

Check = Callable[..., Any]  # (budget, context, value, *args, **kwargs) -> the value to filter


def guard_filter(name: str, function: Callable) -> Callable:
    """Return `function`, a Jinja filter, guarded by the render's budget."""
    check = _CHECKS.get(name, _printing(3))  # an unknown filter is taken to print its input
    lead = _LEAD.get(getattr(getattr(function, "jinja_pass_arg", None), "name", None))
    paid = name not in _SELECTING

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = active()
        budget.spend()
        value = check(budget, context, value, *args, **kwargs)
        if lead is None:
            result = function(value, *args, **kwargs)
        else:
            result = function(lead(context), value, *args, **kwargs)
        return charge(budget, result) if paid else result

    guarded.__name__ = guarded.__qualname__ = f"guarded_{name}"
    return guarded


_LEAD: dict[str, Callable[[Context], Any]] = {
    "context": lambda context: context,
    "eval_context": lambda context: context.eval_ctx,
    "environment": lambda context: context.environment,
}


def _as_is(budget: Budget, context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
    return value


def _iterated(budget: Budget, context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
    return counted(value)


def _printing(factor: int, pieces: Callable[[Any, int], int] | None = None) -> Check:
    """Check a filter that prints its input and makes at most `factor` times as much text.

    `pieces` says how many steps of Python work the filter does on a text of a given size.
    """
    def check(budget: Budget, context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        size = len(value) if type(value) is str else text_size(budget, value)
        budget.need(size * factor)
        if pieces is not None:
            budget.spend(pieces(value, size))
        return value
    return check


def _half(value: Any, size: int) -> int:
    return size // 2  # a word or a chunk is at least a character and a separator


def _tags(value: Any, size: int) -> int:
    return value.count("<") if isinstance(value, str) else size


def _entries(value: Any, size: int) -> int:
    return len(value) if hasattr(value, "__len__") and not isinstance(value, str) else 1


def _center(budget: Budget, context: Context, value: Any, width: Any = 80) -> Any:
    budget.need(max(text_size(budget, value), width if isinstance(width, int) else 0))
    return value


def _indent(budget: Budget, context: Context, s: Any, width: Any = 4, *_: Any, **__: Any) -> Any:
    if isinstance(width, int):
        budget.need(width)  # the indentation is made first
    pad = max(width, 0) if isinstance(width, int) else len(width) if isinstance(width, str) else 0
    size = text_size(budget, s)
    lines = (s.count("\n") if isinstance(s, str) else size) + 1
    budget.need(size + lines * pad)
    budget.spend(lines)
    return s


def _wordwrap(budget: Budget, context: Context, s: Any, width: Any = 79,
              break_long_words: Any = True, wrapstring: Any = None, *_: Any, **__: Any) -> Any:
    size = text_size(budget, s)
    between = len(wrapstring) if isinstance(wrapstring, str) else 2
    budget.need(size + (size + 1) * between)
    budget.spend(size // 2)
    if break_long_words and isinstance(width, int) and width > 0:
        # textwrap copies the rest of a long word for every line it cuts from it
        longest = max(map(len, str(s).split()), default=0)
        budget.need(longest * longest // (2 * width))
    return s


def _truncate(budget: Budget, context: Context, s: Any, length: Any = 255, killwords: Any = False,
              end: Any = "...", *_: Any, **__: Any) -> Any:
    budget.need(text_size(budget, s) + text_size(budget, end))
    return s


def _replace(budget: Budget, context: Context, s: Any, old: Any, new: Any,
             count: Any = None) -> Any:
    size = text_size(budget, s)
    found = size + 1
    if isinstance(s, str) and isinstance(old, str):
        found = s.count(old) if old else found
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.need(size + found * text_size(budget, new))
    return s


def _format(budget: Budget, context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
    if not isinstance(value, str):
        budget.need(text_size(budget, value))
        value = str(value)
    budget.need(printf_size(budget, value, kwargs or args))
    return value


def _join(budget: Budget, context: Context, value: Any, d: Any = "", attribute: Any = None) -> Any:
    items = list(counted(value))  # a generator is read once: hand the list on
    shown = items if attribute is None else map(_getter(context, attribute), items)
    size = sum(text_size(budget, item) for item in shown)
    budget.need(size + text_size(budget, d) * max(len(items) - 1, 0))
    return items


def _getter(context: Context, attribute: Any) -> Callable[[Any], Any]:
    return make_attrgetter(context.environment, attribute)  # as the filter itself looks it up


def _batch(budget: Budget, context: Context, value: Any, linecount: Any,
           fill_with: Any = None) -> Any:
    if fill_with is not None and isinstance(linecount, int):
        budget.need(linecount)  # the last batch is filled up to `linecount` items
    return counted(value)


def _sum(budget: Budget, context: Context, iterable: Any, attribute: Any = None,
         start: Any = 0) -> Any:
    if isinstance(start, (int, float)):
        return counted(iterable)
    # adding lists copies the total so far every time: pay for all the copies
    items = list(counted(iterable))
    added = items if attribute is None else map(_getter(context, attribute), items)
    total = cost = len(start) if hasattr(start, "__len__") else 0
    for item in added:
        total += len(item) if hasattr(item, "__len__") else 0
        cost += total
        budget.need(cost)
    return items


def _dictsort(budget: Budget, context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
    budget.spend(len(value) if hasattr(value, "__len__") else 0)  # a Python key call per item
    return value


def _round(budget: Budget, context: Context, value: Any, precision: Any = 0, *_: Any,
           **__: Any) -> Any:
    if isinstance(precision, int) and abs(precision) > MAX_INT_DIGITS:
        raise TemplateLimitError("digits")  # `round` and `floor` compute 10 ** precision
    return value


def _tojson(budget: Budget, context: Context, value: Any, indent: Any = None) -> Any:
    size = text_size(budget, value, JSON)
    if indent:
        pad = len(indent) if isinstance(indent, str) else max(indent, 0)
        items, depth = budget.measure(value)
        size += items * (1 + depth * pad)  # a line per item, indented by its depth
    budget.need(size)
    return value


def _pprint(budget: Budget, context: Context, value: Any) -> Any:
    size = text_size(budget, value, REPR)
    items, depth = budget.measure(value)
    if items > 1:  # a line per item, indented at most as far as the text is long
        size += items * (size + depth)
    budget.need(size)
    return value


def _urlize(budget: Budget, context: Context, value: Any, trim_url_limit: Any = None,
            nofollow: Any = False, target: Any = None, rel: Any = None,
            extra_schemes: Any = None) -> Any:
    size = text_size(budget, value)
    words = size // 2 + 1
    attributes = sum(len(a) for a in (target, rel) if isinstance(a, str)) + 48
    budget.need(3 * size + words * attributes)  # every word may become a link
    schemes = len(extra_schemes) if hasattr(extra_schemes, "__len__") else 1
    budget.spend(words * max(schemes, 1))
    return value


_ITERATING = ("map", "select", "reject", "selectattr", "rejectattr", "unique", "slice", "groupby",
              "sort", "min", "max", "list")
# filters returning what they were given, or an iterator over no more items than they read
_SELECTING = frozenset(("first", "last", "default", "d", "attr", "random", "min", "max", "map",
                        "select", "reject", "selectattr", "rejectattr", "unique"))
_CHECKS: dict[str, Check] = {
    **{name: _iterated for name in _ITERATING},
    **{name: _as_is for name in ("first", "last", "default", "d", "attr", "random", "length",
                                 "count", "abs", "int", "float", "filesizeformat", "items",
                                 "reverse")},
    **{name: _printing(1) for name in ("string", "safe", "trim", "wordcount")},
    **{name: _printing(3) for name in ("capitalize", "lower", "upper")},
    **{name: _printing(6) for name in ("escape", "e", "forceescape")},
    "title": _printing(3, _half), "striptags": _printing(1, _tags),
    "urlencode": _printing(12, _entries), "xmlattr": _printing(8, _entries),
    "center": _center, "indent": _indent, "wordwrap": _wordwrap, "truncate": _truncate,
    "replace": _replace, "format": _format, "join": _join, "batch": _batch, "sum": _sum,
    "dictsort": _dictsort, "round": _round, "tojson": _tojson, "pprint": _pprint, "urlize": _urlize,
}
