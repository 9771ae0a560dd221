"""Limits on one template render: its work, what it builds, its output, and how deep it nests.

Every render runs under a `Budget` held in a context variable. The template environment's hooks
(loops, calls, filters, operators, joins, output) draw on it and refuse with a
`TemplateLimitError` that names the limit, before a value over the limits is built.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from itertools import chain
from typing import Any, Iterable, Iterator

from jinja2.utils import Namespace

from .errors import BlockError

MAX_OUTPUT = 64 * 1024  # characters of text one render may produce
MAX_STEPS = 100_000  # loop iterations, calls and items walked; about 0.3 s of the slowest kind
MAX_BUILT = 4_000_000  # characters and items of all the values one render builds, together
MAX_INT_DIGITS = 4_000  # digits of a number made by `*` or `**` (Python prints up to 4300)
MAX_DEPTH = 64  # nesting of calls (macros, recursive loops) and of the values measured
MAX_SECONDS = 1.0  # CPU time of the rendering thread: a backstop for steps on very large data

INT_BITS = int(MAX_INT_DIGITS * math.log2(10))  # a number of no more bits has no more digits
_CLOCK_EVERY = 64  # steps between two looks at the clock (a look costs a system call)
_REMEMBERED = 16  # items from which a container's size is kept; a smaller one is quick to walk

_MESSAGES = {
    "steps": f"does more than {MAX_STEPS} loop iterations and calls",
    "built": f"builds more than {MAX_BUILT} characters and list items",
    "output": f"makes more than {MAX_OUTPUT} characters of output",
    "digits": f"makes a number of more than {MAX_INT_DIGITS} digits",
    "depth": f"nests calls or values more than {MAX_DEPTH} levels deep",
    "seconds": f"takes more than {MAX_SECONDS:g} s of CPU time",
}


class TemplateLimitError(BlockError):
    """A template went over one of its limits; `limit` names it (`steps`, `built`, `output`...)."""

    def __init__(self, limit: str) -> None:
        super().__init__(f"template limit: the template {_MESSAGES[limit]}")
        self.limit = limit

    def __reduce__(self) -> tuple:
        return type(self), (self.limit,)  # picklable, for worker processes


_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
_SEQUENCES = (list, tuple, set, frozenset) + _VIEWS
_SCALARS = (str, int, float)


def children(value: Any) -> Iterable | None:
    """Return what a container holds (a dict's keys and values), or None for anything else."""
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, _SEQUENCES):
        return value
    if isinstance(value, dict):
        return chain(value.keys(), value.values())
    if isinstance(value, Namespace):
        attrs = object.__getattribute__(value, "_Namespace__attrs")
        return chain(attrs.keys(), attrs.values())
    return None


class Budget:
    """What is left of one render's limits, and the sizes of the values measured so far.

    A value's size counts every item it holds, a shared part once each time it occurs, so
    `[x, x]` weighs twice `x`: the work of printing or comparing it, whatever its memory.
    """

    __slots__ = ("steps", "built", "depth", "seconds", "sizes", "_deadline", "_clock", "_token")

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.steps = steps
        self.built = MAX_BUILT
        self.depth = 0
        self.seconds = seconds
        self.sizes: dict[int, tuple[Any, int, int]] = {}  # id -> (value, items, depth)
        self._deadline: float | None = None  # set at the first look: short renders never look
        self._clock = max(steps - _CLOCK_EVERY, 0)

    def __enter__(self) -> Budget:
        self._token = _BUDGET.set(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _BUDGET.reset(self._token)

    def spend(self, steps: int = 1) -> None:
        """Take steps of work; refuse once the steps or the CPU time are used up."""
        self.steps -= steps
        if self.steps < self._clock:
            self._look()

    def _look(self) -> None:
        if self.steps < 0:
            raise TemplateLimitError("steps")
        # CPU time of this thread, which other processes' load does not stretch
        now = time.thread_time()
        if self._deadline is None:
            self._deadline = now + self.seconds
        elif now > self._deadline:
            raise TemplateLimitError("seconds")
        self._clock = max(self.steps - _CLOCK_EVERY, 0)  # the last steps are always checked

    def need(self, size: int) -> None:
        """Refuse to build a value of `size` characters or items that the budget cannot pay for."""
        if size > self.built:
            raise TemplateLimitError("built")

    def build(self, size: int) -> None:
        """Pay for a value of `size` characters or items."""
        self.need(size)
        self.built -= size

    def enter(self) -> None:
        """Go one call deeper; refuse past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.depth -= 1
            raise TemplateLimitError("depth")

    def leave(self) -> None:
        """Come back from a call."""
        self.depth -= 1

    def remember(self, value: Any, items: int, depth: int) -> None:
        """Record the size of a container built from parts of known size."""
        if depth > MAX_DEPTH:
            raise TemplateLimitError("depth")
        # a namespace changes and a view is made anew each time: never kept
        if items >= _REMEMBERED and not isinstance(value, (Namespace,) + _VIEWS):
            self.sizes[id(value)] = (value, items, depth)  # holding the value keeps its id unique

    def measure(self, value: Any) -> tuple[int, int]:
        """Return (items, depth) of a value, walking only the parts not measured before."""
        if children(value) is None:
            return 1, 0
        known = self.sizes.get(id(value))
        if known is not None:
            return known[1], known[2]
        return self._walk(value)

    def _walk(self, value: Any) -> tuple[int, int]:
        # Iterative, so that deep data cannot exhaust Python's stack; each frame is
        # [container, its remaining children, items so far, deepest child so far].
        stack: list[list] = [[value, iter(children(value)), 1, 0]]
        left = self.steps
        while True:
            frame = stack[-1]
            for child in frame[1]:
                left -= 1
                if left < 0:
                    self.steps = left
                    raise TemplateLimitError("steps")
                inner = children(child)
                known = None if inner is None else self.sizes.get(id(child))
                if inner is None or known is not None:
                    frame[2] += 1 if known is None else known[1]
                    frame[3] = max(frame[3], 0 if known is None else known[2])
                    continue
                if len(stack) >= MAX_DEPTH:
                    raise TemplateLimitError("depth")
                stack.append([child, iter(inner), 1, 0])
                break
            else:
                stack.pop()
                items, depth = frame[2], frame[3] + 1
                self.need(items)
                self.remember(frame[0], items, depth)
                if not stack:
                    self.spend(self.steps - left)
                    return items, depth
                stack[-1][2] += items
                stack[-1][3] = max(stack[-1][3], depth)


_BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def active() -> Budget:
    """Return the budget of the render under way."""
    budget = _BUDGET.get()
    if budget is None:  # a hook outside render_text/render_value: a bug, not the template's fault
        raise RuntimeError("a template ran outside a budget: render with render_text/render_value")
    return budget


def metered(steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> Budget:
    """Return a fresh budget to render under (`with metered(): ...`)."""
    return Budget(steps, seconds)


def counted(iterable: Iterable) -> Iterator:
    """Iterate, taking a step of the render's budget for every item."""
    spend = active().spend
    for item in iterable:
        spend()
        yield item


def charge(budget: Budget, value: Any) -> Any:
    """Pay for a value a call or filter returned; count the items of an iterator as they come."""
    if isinstance(value, (str, bytes)):
        budget.build(len(value))
        return value
    if children(value) is not None:
        budget.build(budget.measure(value)[0])
    elif type(value).__module__ == "builtins" and hasattr(type(value), "__next__"):
        return counted(value)  # a generator or a plain iterator, not an object like a cycler
    return value
