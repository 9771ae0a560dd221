"""Templates in block configs: Jinja2's sandboxed environment, compiled once per text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from jinja2 import ChainableUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from .errors import BlockError
from .expressions import GiveUp, compile_fast

_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False,
                            keep_trailing_newline=True, cache_size=0)
_MARKERS = ("{{", "{%", "{#")


def is_template(text: str) -> bool:
    """Return True when a string holds template syntax and must be rendered."""
    return any(marker in text for marker in _MARKERS)


@lru_cache(maxsize=4096)
def compile_template(source: str):
    """Compile a template; raise jinja2's TemplateSyntaxError (with `lineno`) when it is broken."""
    return _flatten_globals(_ENV.from_string(source))


def _flatten_globals(template):
    # Jinja keeps globals as a ChainMap and copies it into a dict on every render; a plain dict
    # made once makes each render several times cheaper.
    template.globals = dict(template.globals)
    return template


def template_error(source: str) -> str | None:
    """Return a message naming the line of a template's syntax error, or None when it is sound."""
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    return None


def render_text(source: str, scope: dict) -> str:
    """Render one template text with the given names (`vars`, `contact`, `trigger`, ...)."""
    try:
        return compile_template(source).render(scope)
    except TemplateSyntaxError as exc:
        raise BlockError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # a sandbox refusal or a bad filter call in the user's template
        raise BlockError(f"template failed: {exc}") from None


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
    except TemplateSyntaxError:
        return None  # let render_text report it with its line
    fast = compile_fast(_ENV, match["expr"])

    def evaluate(scope: dict) -> Any:
        if fast is not None:
            try:
                return fast(scope)
            except GiveUp:
                pass
        return slow(**scope)
    return evaluate


def render_value(source: str, scope: dict) -> Any:
    """Render a template; one whole `{{ expression }}` keeps its type (number, list, dict)."""
    expression = compile_value(source)
    if expression is None:
        return render_text(source, scope)
    try:
        return expression(scope)
    except Exception as exc:  # a sandbox refusal or a bad operation in the user's expression
        raise BlockError(f"template failed: {exc}") from None


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
