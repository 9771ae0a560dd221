"""The fast expression path gives exactly Jinja's result, or hands the expression to Jinja."""

from __future__ import annotations

import pytest
from jinja2 import ChainableUndefined
from jinja2.sandbox import SandboxedEnvironment

from blocks.sdk import BlockError
from blocks.sdk.expressions import GiveUp, compile_fast
from blocks.sdk.templates import render_value

JINJA = SandboxedEnvironment(undefined=ChainableUndefined)
SCOPE = {
    "vars": {"i": 41, "price": 2.5, "name": "Ada", "tier": "gold", "flag": True, "zero": 0,
             "nested": {"deep": {"n": 3}}, "items": [1, 2], "none": None, "text_num": "150"},
    "contact": {"from": "+4930123456"},
    "trigger": {"text": "hello"},
}
EXPRESSIONS = [
    "vars.i + 1", "vars.i - 1.5", "vars.i * 2", "vars.i / 2", "vars.i // 2", "vars.i % 5",
    "-vars.i", "vars.price * vars.i", "vars.nested.deep.n + 1", "vars['name']",
    "vars.i > 40", "vars.i >= 41", "vars.i < 41", "vars.i <= 41", "vars.i == 41", "vars.i != 41",
    "vars.tier == 'gold' and vars.i > 10", "vars.tier == 'silver' or vars.flag",
    "not vars.flag", "not vars.zero", "vars.none", "vars.name", "contact.from", "trigger.text",
    "vars.zero or 'fallback'", "vars.flag and vars.name", "1 + 2 * 3", "'a' == 'a'",
    # outside the fast subset, or values the fast path does not vouch for: Jinja decides
    "vars.missing", "vars.missing.deeper", "vars.items", "vars.name ~ '!'", "vars.text_num > 100",
    "vars.name | upper", "vars.items | length", "vars.i / vars.zero", "vars.name + 1",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_every_expression_evaluates_as_jinja_evaluates_it(expression):
    expected = _jinja(expression)
    actual = _ours(expression)
    assert type(actual) is type(expected) and actual == expected


def test_the_fast_path_covers_the_common_arithmetic_and_comparisons():
    for expression in ("vars.i + 1", "vars.i >= 41 and vars.tier == 'gold'", "not vars.flag"):
        fast = compile_fast(JINJA, expression)
        assert fast is not None, expression
        assert fast(SCOPE) == JINJA.compile_expression(expression)(**SCOPE)


def test_the_fast_path_gives_up_on_what_it_cannot_vouch_for():
    assert compile_fast(JINJA, "vars.items") is None  # dict.items is an attribute in Jinja
    assert compile_fast(JINJA, "vars.__class__") is None  # private names: the sandbox decides
    fast = compile_fast(JINJA, "vars.missing + 1")
    with pytest.raises(GiveUp):
        fast(SCOPE)


def test_a_failing_expression_is_a_block_error_naming_the_failure():
    with pytest.raises(BlockError, match="template failed"):
        render_value("{{ vars.i / vars.zero }}", SCOPE)


def _jinja(expression: str):
    try:
        return ("ok", JINJA.compile_expression(expression, undefined_to_none=True)(**SCOPE))
    except Exception as exc:
        return ("raises", type(exc).__name__)


def _ours(expression: str):
    try:
        return ("ok", render_value("{{ " + expression + " }}", SCOPE))
    except BlockError:
        return ("raises", _jinja(expression)[1]) if _jinja(expression)[0] == "raises" else ("raises", "?")
