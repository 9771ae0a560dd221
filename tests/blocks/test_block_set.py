"""The `set` block: native values from templates, literals as written, paths checked."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.set import SetBlock
from blocks.registry import BlockType, Registry
from blocks.sdk import context as context_module
from blocks.sdk.testing import run_block


def test_a_whole_expression_keeps_its_native_type() -> None:
    result = run_block(SetBlock, {"values": {
        "vars.i": "{{ vars.i + 1 }}",
        "vars.ratio": "{{ vars.i / 4 }}",
        "vars.items": "{{ [vars.i, 'x'] }}",
        "vars.flag": "{{ vars.i > 1 }}",
        "vars.missing": "{{ vars.nothing }}",
    }}, vars={"i": 2})
    assert result.exit == "next"
    assert result.vars == {"i": 3, "ratio": 0.75, "items": [3, "x"], "flag": True,
                           "missing": None}


def test_a_template_with_surrounding_text_gives_text() -> None:
    result = run_block(SetBlock, {"values": {"vars.greeting": "Hello {{ contact.name }}!",
                                             "vars.count": " {{ 1 + 1 }} items"}},
                       contact={"name": "Ada"})
    assert result.vars == {"greeting": "Hello Ada!", "count": " 2 items"}


def test_literals_are_stored_as_written() -> None:
    values = {"vars.n": 42, "vars.x": 1.5, "vars.yes": True, "vars.none": None,
              "vars.word": "plain text, no template", "vars.list": [1, "a", None],
              "vars.obj": {"tier": "gold", "limits": {"daily": 500}}}
    result = run_block(SetBlock, {"values": values})
    assert result.vars == {key.removeprefix("vars."): value for key, value in values.items()}


def test_literals_never_go_through_jinja(monkeypatch) -> None:
    def refuse(*args: Any) -> None:
        """Fail the test: nothing may be rendered."""
        raise AssertionError("a literal was rendered")
    monkeypatch.setattr(context_module, "render_value", refuse)
    monkeypatch.setattr(context_module, "render_text", refuse)
    result = run_block(SetBlock, {"values": {"vars.a": "50% off", "vars.b": {"c": [1]}}})
    assert result.exit == "next"
    assert result.vars == {"a": "50% off", "b": {"c": [1]}}


def test_template_texts_inside_an_object_literal_are_evaluated() -> None:
    result = run_block(SetBlock, {"values": {"vars.customer": {
        "name": "{{ trigger.text }}", "visits": "{{ vars.visits + 1 }}", "tags": ["{{ 'vip' }}"],
        "source": "chat"}}}, vars={"visits": 1}, trigger={"text": "Ada"})
    assert result.vars["customer"] == {"name": "Ada", "visits": 2, "tags": ["vip"],
                                       "source": "chat"}


def test_sessions_never_share_an_object_from_the_config() -> None:
    config = {"values": {"vars.cart": {"items": []}}}
    first = run_block(SetBlock, config)
    first.vars["cart"]["items"].append("apple")
    second = run_block(SetBlock, config)
    assert config == {"values": {"vars.cart": {"items": []}}}
    assert second.vars["cart"] == {"items": []}


def test_values_are_set_in_order_so_later_ones_see_earlier_ones() -> None:
    result = run_block(SetBlock, {"values": {"vars.a": 2, "vars.b": "{{ vars.a * 10 }}",
                                             "vars.a.big": "no"}})
    assert result.vars == {"a": {"big": "no"}, "b": 20}


def test_nested_paths_and_contact_fields_are_set() -> None:
    result = run_block(SetBlock, {"values": {"vars.order.id": "{{ trigger.text }}",
                                             "contact.email": "ada@example.com"}},
                       trigger={"text": "A-17"}, contact={"name": "Ada"})
    assert result.vars == {"order": {"id": "A-17"}}
    assert result.contact == {"name": "Ada", "email": "ada@example.com"}


def test_a_path_that_cannot_be_set_takes_the_error_exit() -> None:
    result = run_block(SetBlock, {"values": {"trigger.text": "x"}})
    assert result.exit == "error"
    assert "cannot set 'trigger.text'" in result.error


def test_a_failing_template_takes_the_error_exit() -> None:
    result = run_block(SetBlock, {"values": {"vars.n": "{{ vars.missing + 1 }}"}})
    assert result.exit == "error"
    assert result.error.startswith("template failed")


def test_exits() -> None:
    assert SetBlock.exits_for({"values": {"vars.a": 1}}) == ["next", "error"]


def test_check_reports_paths_that_cannot_be_set_and_broken_templates() -> None:
    problems = SetBlock.check({"values": {
        "vars.ok": "{{ vars.a }}", "account": 1, "trigger.text": 2, "vars.": 3, "vars..x": 4,
        "a/b~c": 5, "vars.obj": {"list": [1, "{{ oops( }}"]}, "contact.email": "{% if %}"}})
    pointers = [pointer for pointer, _ in problems]
    assert pointers == ["/values/account", "/values/trigger.text", "/values/vars.",
                        "/values/vars..x", "/values/a~1b~0c", "/values/vars.obj/list/1",
                        "/values/contact.email"]
    assert "a path starts with vars. or contact." in problems[0][1]
    assert problems[5][1].startswith("template syntax error on line 1")


def test_check_accepts_a_sound_config() -> None:
    assert SetBlock.check({"values": {"vars.a": 1, "contact.crm_id": "{{ vars.id }}",
                                      "vars.a.b-c": "x"}}) == []


@pytest.mark.parametrize("config", [
    {}, {"values": {}}, {"values": []}, {"values": {"vars.a": 1}, "extra": True},
    {"values": {"": 1}},
])
def test_the_config_schema_refuses_bad_configs(config: dict) -> None:
    assert list(Draft7Validator(SetBlock.manifest["config_schema"]).iter_errors(config)) != []


def test_the_config_schema_accepts_any_value() -> None:
    config = {"values": {"vars.a": 1, "vars.b": "{{ x }}", "vars.c": {"d": [None]}}}
    assert list(Draft7Validator(SetBlock.manifest["config_schema"]).iter_errors(config)) == []


def test_the_registry_accepts_the_block() -> None:
    registry = Registry()
    assert isinstance(registry.register(SetBlock), BlockType)
    assert registry.broken == []
    assert registry.resolve("set").raw_fields == ("values",)
