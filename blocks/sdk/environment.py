"""The templates' Jinja environment: Jinja's immutable sandbox, with every loop and growth paid for.

Jinja folds constant expressions while compiling; the operators that can grow a value (`+`, `*`,
`%`, `**`) are intercepted, which Jinja never folds, and the filters take the render's context,
which Jinja never folds either. So compiling computes nothing, and at render time each of these
hooks checks the render's `Budget` (see `limits`) before building:

- every `for` loop iterates through `counted`, a step per item (the code generator adds it);
- calls (functions, methods, macros) take a step and nest at most MAX_DEPTH deep;
- `~`, literals `[...]`/`{...}`, captured blocks and macro bodies pay for what they make;
- `str.format` checks each field and `%` checks widths before formatting;
- values printed with `{{ }}` are sized before `str()` makes their text.

Lists and dicts cannot be changed in place (Jinja's immutable sandbox): a value's size, once
measured, stays true, and templates never change the session's data behind its back.
"""

from __future__ import annotations

import types
from functools import update_wrapper
from typing import Any, Callable, Iterable

from jinja2 import nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import (ImmutableSandboxedEnvironment, SandboxedEnvironment,
                            SandboxedEscapeFormatter, SandboxedFormatter)
from jinja2.utils import Namespace
from markupsafe import Markup

from .estimates import REPR, binop_size, check_call, field_size, text_size
from .guards import guard_filter
from .limits import active, charge, children, counted

LOOP_FILTER = "(counted loop)"  # what every loop iterates through; no template can name it
_HOLDERS = (dict, list, tuple, Namespace)  # their methods return what they hold, or views of it
_SHORT = frozenset((str, int, float, bool, type(None)))  # printed short (ints have few digits)
_UNCHANGEABLE = frozenset((str, int, float, bool, tuple, LoopContext, Macro, Markup))


class LimitedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with loops, `~` and literals going through the budget."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        """Count every loop's items (a recursive loop's deeper levels are counted by `call`)."""
        for loop in list(node.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None,
                                     lineno=loop.iter.lineno)
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """Join `a ~ b` through the environment, which sizes the parts first."""
        self.write("environment.join_text((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        """Pay for a list written in the template."""
        self._literal(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        """Pay for a dict written in the template."""
        self._literal(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        """Pay for a tuple written in the template (not a tuple assigned to, `a, b = ...`)."""
        if node.ctx != "load":
            return super().visit_Tuple(node, frame)
        self._literal(super().visit_Tuple, node, frame)

    def _literal(self, visit: Callable, node: nodes.Node, frame: Frame) -> None:
        self.write("environment.literal(")
        visit(node, frame)
        self.write(")")


class LimitedFormatter(SandboxedFormatter):
    """Jinja's sandboxed `str.format`, sizing each field before formatting it."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        """Size `!r`, `!a` and `!s` before they make a text."""
        if conversion is not None:
            budget = active()
            budget.need(text_size(budget, value, REPR))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        """Format one field if the budget can pay for it (`{:>999999999}` cannot)."""
        budget = active()
        budget.spend()
        budget.need(field_size(budget, value, format_spec))
        text = super().format_field(value, format_spec)
        budget.build(len(text))
        return text


class LimitedEscapeFormatter(LimitedFormatter, SandboxedEscapeFormatter):
    """The same, escaping fields for `Markup.format`."""


class TemplateEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with limits on work, on what a render builds, and on nesting."""

    intercepted_binops = frozenset(("+", "*", "%", "**"))
    code_generator_class = LimitedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.filters = {name: guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[LOOP_FILTER] = _loop

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Refuse private attributes, and methods that change a list, dict or set in place."""
        if type(obj) in _UNCHANGEABLE:  # skip the immutable sandbox's slow abstract-type checks
            return SandboxedEnvironment.is_safe_attribute(self, obj, attr, value)
        return super().is_safe_attribute(obj, attr, value)

    @staticmethod
    def concat(parts: Iterable[str]) -> str:  # type: ignore[override]
        """Join a buffer (a macro's body, a captured block) once the budget has paid for it."""
        parts = parts if isinstance(parts, list) else list(parts)
        active().build(sum(map(len, parts)))
        return "".join(parts)

    def join_text(self, parts: tuple) -> str:
        """Return `a ~ b ~ ...`, sizing what is not text before printing it."""
        budget = active()
        texts = []
        for part in parts:
            if not isinstance(part, str):
                budget.need(text_size(budget, part))
                part = str(part)
            texts.append(part)
        budget.build(sum(map(len, texts)))
        return "".join(texts)

    def literal(self, value: Any) -> Any:
        """Pay for a list, tuple or dict written in the template, counting what it holds."""
        budget = active()
        items, depth = 1, 0
        for child in children(value):  # type: ignore[union-attr]
            size, inner = budget.measure(child)
            items += size
            depth = max(depth, inner)
        budget.build(items)
        budget.remember(value, items, depth + 1)
        return value

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Apply `+`, `*`, `%` or `**` once the budget can pay for the result."""
        budget = active()
        size = binop_size(budget, operator, left, right)
        if size is None:
            return self.binop_table[operator](left, right)
        budget.need(size[0])
        result = self.binop_table[operator](left, right)
        if size[1]:  # a list or tuple: its size is exact, and kept for what holds it later
            budget.build(size[0])
            budget.remember(result, *size)
        else:  # a text: what it really made (`%` is estimated)
            budget.build(len(result))
        return result

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call a function, a method or a macro: a step, checked arguments, a paid-for result."""
        budget = active()
        budget.spend()
        if isinstance(obj, LoopContext) and args:  # `loop(children)`: a recursive loop's next level
            args = (counted(args[0]),) + args[1:]
        args = check_call(budget, obj, args, kwargs)
        budget.enter()
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            budget.leave()
        if isinstance(obj, (Macro, LoopContext)) \
                or isinstance(getattr(obj, "__self__", None), _HOLDERS):
            return result  # a body `concat` has paid for, or something a container holds
        return charge(budget, result)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Return `str.format`/`format_map` sandboxed as Jinja does, with each field sized."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) \
                or value.__name__ not in ("format", "format_map") \
                or not isinstance(value.__self__, str):
            return None
        template: str = value.__self__
        formatter = LimitedEscapeFormatter(self, escape=template.escape) \
            if isinstance(template, Markup) else LimitedFormatter(self)
        by_name = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if by_name:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument and no keywords")
                args, kwargs = (), args[0]
            return type(template)(formatter.vformat(template, args, kwargs))
        return update_wrapper(wrapper, value)


@pass_context
def _loop(context: Context, iterable: Any) -> Iterable:
    """Iterate a loop's items, a step each."""
    return counted(iterable)


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Size a value printed by `{{ }}` before `str()` makes its text (a list may print huge)."""
    if type(value) in _SHORT or isinstance(value, Undefined):
        return value
    budget = active()
    budget.build(text_size(budget, value))
    return value
