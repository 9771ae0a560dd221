"""Templates in block configs: Jinja2's sandbox under limits, compiled once per text.

A render may do limited work and build limited values (see `limits`); going over a limit is a
`TemplateLimitError`, a `BlockError` the engine routes to the block's `error` exit. Validation
tries each template once with no data (`template_error`), so that a template over its limits
whatever the data is a problem with its pointer, not a surprise at run time.
"""

from __future__ import annotations

import html
import re
import time
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Callable

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError

from .environment import TemplateEnvironment
from .errors import BlockError
from .expressions import GiveUp, compile_fast
from .limits import MAX_OUTPUT, MAX_SECONDS, MAX_STEPS, TemplateLimitError, metered

_ENV = TemplateEnvironment(undefined=ChainableUndefined, autoescape=False,
                           keep_trailing_newline=True, cache_size=0)
_MARKERS = ("{{", "{%", "{#")
_TOO_DEEP = "template syntax error: the template nests too deeply"
_SHOWN = 200  # characters of an error's own message kept (Python quotes the whole input)
CHECK_STEPS = 2 * MAX_STEPS  # trial-render work the templates of one block (or flow) share
CHECK_SECONDS = 2 * MAX_SECONDS


def is_template(text: str) -> bool:
    """Return True when a string holds template syntax and must be rendered."""
    return any(marker in text for marker in _MARKERS)


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """Compile a template; raise jinja2's TemplateSyntaxError (with `lineno`) when it is broken."""
    return _flatten_globals(_ENV.from_string(source))


def _flatten_globals(template):
    # Jinja keeps globals as a ChainMap and copies it into a dict on every render; a plain dict
    # made once makes each render several times cheaper.
    template.globals = dict(template.globals)
    return template


def template_error(source: str) -> str | None:
    """Return what is wrong with a template (syntax, a limit exceeded with no data), else None."""
    try:
        template = compile_template(source)
    except TemplateSyntaxError as exc:
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    except RecursionError:  # Jinja's parser recurses once per nested bracket
        return _TOO_DEEP
    allowance = _ALLOWANCE.get()
    if allowance is None:
        return _full_trial(source)[0]
    known = _VERDICTS.get(source)
    if known is not None and allowance.steps_left() >= MAX_STEPS:
        # a known verdict costs no time now: no clock is read (a thread's CPU clock is a system
        # call, tens of microseconds on a virtual machine), but its steps are still taken from
        # the allowance, so that what is checked fully does not depend on what is cached
        verdict, used = known
    else:
        steps, seconds = allowance.left()
        if steps >= MAX_STEPS and seconds >= MAX_SECONDS:
            verdict, used = _full_trial(source)
        else:  # cut short by the allowance: a verdict that is not the template's own, not kept
            verdict, used = _trial(template, source, steps, seconds)
    allowance.spent(used)
    return verdict


def render_text(source: str, scope: dict) -> str:
    """Render one template text with the given names (`vars`, `contact`, `trigger`, ...)."""
    template = _compiled(source)
    try:
        with metered():
            return _stream(template, scope, MAX_OUTPUT)
    except BlockError:
        raise
    except Exception as exc:  # a sandbox refusal or a bad filter call in the user's template
        raise _failed(exc) from None


def render_html(source: str, scope: dict) -> str:
    """Render an HTML template; every text value put into it is escaped, so it shows as text."""
    return render_text(source, _escaped(scope))


def _escaped(value: Any) -> Any:
    """Return a copy of template data with every text HTML-escaped (`<` as `&lt;`)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(item) for item in value]
    return value


def _compiled(source: str) -> Template:
    try:
        return compile_template(source)
    except TemplateSyntaxError as exc:
        raise BlockError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise BlockError(_TOO_DEEP) from None


def _stream(template: Template, scope: dict, cap: int | None) -> str:
    """Render piece by piece, stopping as soon as the text is longer than `cap`."""
    parts, size = [], 0
    for part in template.generate(scope):
        size += len(part)
        if cap is not None and size > cap:
            raise TemplateLimitError("output")
        parts.append(part)
    return "".join(parts)


def _failed(exc: Exception) -> BlockError:
    message = str(exc)
    if len(message) > _SHOWN:
        message = message[:_SHOWN] + "..."
    return BlockError(f"template failed: {message}")


_WHOLE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\}\}|\{\{).)*)\}\}$", re.S)


@lru_cache(maxsize=4096)
def compile_value(source: str) -> Callable[[dict], Any] | None:
    """Compile a template that is one `{{ expression }}` to a native-valued function, else None."""
    match = _WHOLE_EXPRESSION.match(source.strip())
    if match is None:
        return None
    try:
        slow = _ENV.compile_expression(match["expr"], undefined_to_none=True)
        _flatten_globals(slow._template)
    except (TemplateSyntaxError, RecursionError):
        return None  # let render_text report it with its line
    fast = compile_fast(_ENV, match["expr"])

    def evaluate(scope: dict) -> Any:
        if fast is not None:
            try:
                return fast(scope)  # numbers and look-ups only: nothing to meter
            except GiveUp:
                pass
        with metered():
            return slow(**scope)
    return evaluate


def render_value(source: str, scope: dict) -> Any:
    """Render a template; one whole `{{ expression }}` keeps its type (number, list, dict)."""
    expression = compile_value(source)
    if expression is None:
        return render_text(source, scope)
    try:
        return expression(scope)
    except BlockError:
        raise
    except Exception as exc:  # a sandbox refusal or a bad operation in the user's expression
        raise _failed(exc) from None


class _Allowance:
    """The trial-render work (steps, CPU time) left to the checks made inside `shared_checks`."""

    __slots__ = ("steps", "seconds", "outer", "_deadline")

    def __init__(self, steps: int, seconds: float, outer: _Allowance | None) -> None:
        self.steps = steps
        self.seconds = seconds
        self.outer = outer
        self._deadline: float | None = None

    def left(self) -> tuple[int, float]:
        """Return the steps and CPU seconds left; the clock starts at the first look.

        Most blocks hold no template: they never look, and pay no clock reading.
        """
        now = time.thread_time()
        if self._deadline is None:
            self._deadline = now + self.seconds
        steps, seconds = self.steps, self._deadline - now
        if self.outer is not None:  # an inner allowance never gives more than the outer has left
            outer_steps, outer_seconds = self.outer.left()
            steps, seconds = min(steps, outer_steps), min(seconds, outer_seconds)
        return steps, seconds

    def steps_left(self) -> int:
        """Return the steps left here and in the allowances around it (no clock is read)."""
        steps, outer = self.steps, self.outer
        while outer is not None:
            steps, outer = min(steps, outer.steps), outer.outer
        return steps

    def spent(self, steps: int) -> None:
        """Take `steps` from this allowance and the ones around it."""
        allowance: _Allowance | None = self
        while allowance is not None:
            allowance.steps -= steps
            allowance = allowance.outer


_ALLOWANCE: ContextVar[_Allowance | None] = ContextVar("template_checks", default=None)


class shared_checks:  # noqa: N801 - used as a `with` statement, like contextlib's helpers
    """Let the template checks made inside share one allowance of trial-render work.

    Validation wraps a block's checks (and may wrap a whole flow's) in this, so that many heavy
    templates cannot make it slow: once the allowance is spent, the remaining templates are
    checked for syntax only (their limits still hold when they run). A class, not a generator:
    validation enters one per block, and entering costs a tenth of contextlib's.
    """

    __slots__ = ("_steps", "_seconds", "_token")

    def __init__(self, steps: int = CHECK_STEPS, seconds: float = CHECK_SECONDS) -> None:
        self._steps, self._seconds = steps, seconds

    def __enter__(self) -> None:
        self._token = _ALLOWANCE.set(_Allowance(self._steps, self._seconds, _ALLOWANCE.get()))

    def __exit__(self, *exc: object) -> None:
        _ALLOWANCE.reset(self._token)


_VERDICTS: dict[str, tuple[str | None, int]] = {}
_MOST_VERDICTS = 4096


def _full_trial(source: str) -> tuple[str | None, int]:
    """Return `_trial` under the full limits, kept: the same text always has the same verdict."""
    known = _VERDICTS.get(source)
    if known is None:
        if len(_VERDICTS) >= _MOST_VERDICTS:
            _VERDICTS.clear()  # start again rather than track use: refilling costs a trial each
        known = _VERDICTS[source] = _trial(compile_template(source), source, MAX_STEPS,
                                           MAX_SECONDS)
    return known


def _trial(template: Template, source: str, steps: int, seconds: float) -> tuple[str | None, int]:
    """Render once with no data; return (the limit exceeded whatever the data, or None; steps used).

    A text template (not one `{{ expression }}` that may keep its type) has its output limited
    too. Other failures are left to run time, where the data is known; so is running out of
    `steps` or `seconds` when they are less than the limits.
    """
    if steps <= 0 or seconds <= 0:
        return None, 0
    capped = _WHOLE_EXPRESSION.match(source.strip()) is None
    with metered(steps, seconds) as budget:
        try:
            _stream(template, {}, MAX_OUTPUT if capped else None)
        except TemplateLimitError as exc:
            cut_short = (exc.limit == "steps" and steps < MAX_STEPS) \
                or (exc.limit == "seconds" and seconds < MAX_SECONDS)
            return (None if cut_short else str(exc)), steps - budget.steps
        except Exception:  # missing data, a bad call: known only at run time
            pass
    return None, steps - budget.steps


Renderer = Callable[[dict, Callable[[str], str]], Any]


class ConfigTemplate:
    """A block config compiled once: literal parts shared, templates and `$secret`s resolved per run.

    `render(scope, secret)` returns the config to hand to the block; when the config holds no
    template and no secret it returns the same (shared, read-only) dict every time.
    """

    __slots__ = ("config", "_render")

    def __init__(self, config: dict, raw_fields: tuple[str, ...] = ()) -> None:
        self.config = config
        self._render = _compile(config, raw_fields)

    @property
    def static(self) -> bool:
        """Return True when rendering always yields the config as written."""
        return self._render is None

    def render(self, scope: dict, secret: Callable[[str], str]) -> dict:
        """Return the config with its templates rendered and secrets resolved."""
        if self._render is None:
            return self.config
        return self._render(scope, secret)


def _compile(node: Any, raw_fields: tuple[str, ...] = ()) -> Renderer | None:
    if isinstance(node, str):
        if not is_template(node):
            return None
        return lambda scope, secret: render_text(node, scope)
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get("$secret"), str):
            name = node["$secret"]
            return lambda scope, secret: secret(name)
        parts = {k: _compile(v) for k, v in node.items() if k not in raw_fields}
        dynamic = {k: r for k, r in parts.items() if r is not None}
        if not dynamic:
            return None

        def render_dict(scope: dict, secret: Callable[[str], str]) -> dict:
            out = dict(node)
            for key, renderer in dynamic.items():
                out[key] = renderer(scope, secret)
            return out
        return render_dict
    if isinstance(node, list):
        items = [_compile(v) for v in node]
        if not any(items):
            return None
        return lambda scope, secret: [r(scope, secret) if r else v for r, v in zip(items, node)]
    return None
