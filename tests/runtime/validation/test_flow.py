"""runtime.validation.validate_flow: every problem of every layer, sorted, never a crash."""

import copy
import faulthandler
import json
import time

import pytest

from blocks.registry import Registry, default_registry
from blocks.sdk import Block
from blocks.sdk.limits import TemplateLimitError
from runtime.validation import validate_flow

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def block_class(type_: str, exits=("next",), properties=None, **manifest) -> type:
    """Return a Block subclass whose manifest is built from the arguments."""
    full = {"type": type_, "version": "1.0.0", "title": type_, "category": "Test",
            "exits": list(exits), **manifest,
            "config_schema": {"$schema": DRAFT7, "type": "object", "additionalProperties": False,
                              "properties": properties or {}}}

    async def run(self, ctx):
        return None

    return type(f"{type_.title()}Block", (Block,), {"manifest": full, "run": run})


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    text = {"type": "string"}
    for cls in (block_class("say", properties={"text": text}),
                block_class("menu", exits=["failed"], waits=True,
                            exits_from=[{"list": "options", "field": "exit"}],
                            properties={"prompt": text, "options": {"type": "array"},
                                        "timeout_s": {"type": "number", "minimum": 1}})):
        assert reg.register(cls) is not None, reg.broken
    return reg


SUPPORT_LINE = {
    "schema": "callwright/flow@1", "id": "support-line", "name": "Support line",
    "start": "welcome",
    "settings": {"language": "en-US", "max_steps": 500, "max_session_s": 3600},
    "variables": {"tier": "standard"},
    "blocks": {
        "welcome": {"type": "say", "config": {"text": "Welcome to Acme, {{ contact.from }}."},
                    "exits": {"next": "main_menu"}},
        "main_menu": {"type": "menu", "config": {
            "prompt": "For your balance press 1. For an agent press 0.",
            "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                        {"key": "0", "label": "Agent", "exit": "agent",
                         "synonyms": ["operator", "human"]}],
            "timeout_s": 5, "max_attempts": 3,
            "noinput_prompt": "Sorry, I did not get that.",
            "nomatch_prompt": "That is not one of the choices."},
            "exits": {"balance": "balance", "agent": "to_agent", "failed": "goodbye"}},
        "balance": {"type": "set", "config": {"values": {"vars.balance": 100}},
                    "exits": {"next": "check"}},
        "check": {"type": "branch", "config": {"rules": [
            {"when": {"var": "vars.balance", "op": ">", "value": 50}, "exit": "rich"}]},
            "exits": {"rich": "goodbye", "default": "main_menu"}},
        "to_agent": {"type": "transfer", "config": {"target": {"queue": "support"}},
                     "exits": {"failed": "goodbye"}},
        "goodbye": {"type": "end", "config": {"text": "Goodbye."}},
    },
    "layout": {"welcome": {"x": 0, "y": 0}, "main_menu": {"x": 240, "y": 0}},
}


def test_a_sound_flow_of_built_in_blocks_has_no_problems():
    assert validate_flow(SUPPORT_LINE, default_registry()) == []


def test_validation_does_not_change_the_document():
    doc = copy.deepcopy(SUPPORT_LINE)
    doc["blocks"]["welcome"]["config"]["text"] = "{{ broken"
    before = json.dumps(doc, sort_keys=True)
    assert validate_flow(doc, default_registry())
    assert json.dumps(doc, sort_keys=True) == before


def test_three_different_errors_are_three_problems(registry: Registry):
    doc = {"schema": "callwright/flow@1", "id": "f", "start": "a", "colour": "red",
           "blocks": {"a": {"type": "say", "config": {"text": "hi"}, "exits": {"next": "b"}},
                      "b": {"type": "menu", "config": {"prompt": "p", "options": [],
                                                       "timeout_s": 0},
                            "exits": {"failed": "nowhere"}}}}
    assert [(p.severity, p.pointer, p.message) for p in validate_flow(doc, registry)] == [
        ("error", "/blocks/b/config/timeout_s", "0 is less than the minimum of 1"),
        ("error", "/blocks/b/exits/failed",
         "exit 'failed' goes to 'nowhere', which is not a block of this flow"),
        ("error", "/colour", "unexpected property 'colour'")]


def test_problems_come_sorted_by_pointer_then_message(registry: Registry):
    doc = {"schema": "callwright/flow@1", "id": "f", "start": "zz",
           "blocks": {"m": {"type": "mystery", "exits": {"x": "q"}},
                      "b": {"type": "say", "config": {"text": "{{"}, "exits": {"y": "m"}},
                      "a": {"type": "say", "config": {"text": 1}, "exits": {"next": "a"}}}}
    problems = validate_flow(doc, registry)
    keys = [(p.pointer, p.message) for p in problems]
    assert keys == sorted(keys)
    assert [p.pointer for p in problems] == [
        "/blocks/a", "/blocks/a/config/text", "/blocks/b/config/text", "/blocks/b/exits/y",
        "/blocks/m/exits/x", "/blocks/m/type", "/start"]


def test_every_problem_about_a_block_names_the_block(registry: Registry):
    doc = {"schema": "callwright/flow@1", "id": "f", "start": "a",
           "blocks": {"a": {"type": "say", "config": {"text": 1, "x": 2},
                            "exits": {"next": "gone", "odd": "a"}},
                      "b/c": {"type": "nope", "label": 5}}}
    problems = validate_flow(doc, registry)
    assert len(problems) >= 6
    for problem in problems:
        assert problem.block == problem.pointer.split("/")[2].replace("~1", "/")


@pytest.mark.parametrize("doc", [
    None, 0, 1.5, "flow", [], [{"blocks": {}}], {}, {"blocks": None}, {"blocks": []},
    {"blocks": {}}, {"blocks": {"a": None}}, {"blocks": {"a": []}},
    {"start": ["a"], "blocks": {"a": {"type": "say"}}},
    {"start": "a", "blocks": {"a": {"type": 5, "config": [], "exits": "x"}}},
    {"start": "a", "blocks": {"a": {"type": "say", "config": {"text": 5},
                                    "exits": {"next": ["a"], "x": {"y": 1}, "z": None}}}},
    {"start": "a", "blocks": {"a": {"type": "menu", "config": {"options": "1"}}}},
    {"start": "a", "blocks": {"a": {"type": "menu", "config": {"options": [None, 3, {"exit": 4}]},
                                    "exits": {"4": "a"}}}},
    {"start": "a", "blocks": {"a": {"type": "say@x"}, "b": {"type": ""}, "c": {}}},
    {"schema": "callwright/flow@1", "id": "f", "start": "a", "layout": [],
     "settings": {"max_steps": 0}, "blocks": {"a": {"type": "say", "config": {"text": "ok"}}}},
])
def test_any_input_gives_problems_never_a_crash(doc, registry: Registry):
    problems = validate_flow(doc, registry, flows={})
    assert problems and any(p.is_error for p in problems)
    assert all(isinstance(str(p), str) for p in problems)


def test_any_input_gives_problems_never_a_crash_with_the_built_in_blocks():
    registry = default_registry()
    types = [block_type.type for block_type in registry.types()]
    assert {"say", "ask", "menu", "branch", "http", "script", "subflow", "end"} <= set(types)
    for block_type in registry.types():
        for config in [None, [], {}, {"x": 1}, {"options": [None]}, {"rules": [{"when": 3}]},
                       {"branches": [{"percent": "a"}]}, {"flow": 3}, {"values": []}]:
            # every document is wrong at least in its exit `failed`, which goes to no block
            doc = {"schema": "callwright/flow@1", "id": "f", "start": "a",
                   "blocks": {"a": {"type": block_type.type, "config": config,
                                    "exits": {"next": "a", "failed": "zz"}}}}
            problems = validate_flow(doc, registry, flows={})
            assert any(p.is_error for p in problems), (block_type.type, config)
            assert "/blocks/a/exits/failed" in {p.pointer for p in problems}
            for problem in problems:
                assert problem.pointer.startswith("/blocks/a")


def test_warnings_alone_leave_the_flow_runnable(registry: Registry):
    doc = {"schema": "callwright/flow@1", "id": "f", "start": "a",
           "blocks": {"a": {"type": "say", "config": {"text": "x"}, "exits": {"next": "a"}},
                      "b": {"type": "say", "config": {"text": "y"}}}}
    problems = validate_flow(doc, registry)
    assert [p.severity for p in problems] == ["warning", "warning"]


def test_templates_over_their_limits_are_problems_at_their_pointers_found_quickly():
    faulthandler.dump_traceback_later(60, exit=True)  # a regression must not hang the suite
    try:
        heavy = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
        doc = {"schema": "callwright/flow@1", "id": "f", "start": "b1", "blocks": {
            "b1": {"type": "say", "config": {"text": "{{ 'a' * 1000000000 }}"},
                   "exits": {"next": "b2"}},
            "b2": {"type": "set", "config": {"values": {
                "vars.x": "{{ 2 ** 10000000 }}", "vars.y": {"deep": ["{{ '%999999999s' % 1 }}"]}}},
                "exits": {"next": "b3"}},
            "b3": {"type": "branch", "config": {"rules": [
                {"when": {"var": "vars.x", "op": "==", "value": heavy}, "exit": "b4"}]},
                "exits": {"b4": "b4", "default": "b4"}},
            "b4": {"type": "subflow", "config": {"flow": "g", "inputs": {
                "a": "{{ 'x'|center(1000000000) }}"}}, "exits": {"next": "b5"}},
            "b5": {"type": "end", "config": {"text": "{{ vars.s * vars.n }}"}}}}  # data decides
        started = time.perf_counter()
        problems = validate_flow(doc, default_registry())
        assert time.perf_counter() - started < 5
    finally:
        faulthandler.cancel_dump_traceback_later()
    built, digits, steps = (str(TemplateLimitError(name)) for name in ("built", "digits", "steps"))
    assert [(p.pointer, p.message) for p in problems if p.is_error] == [
        ("/blocks/b1/config/text", built),
        ("/blocks/b2/config/values/vars.x", digits),
        ("/blocks/b2/config/values/vars.y/deep/0", built),
        ("/blocks/b3/config/rules/0/when/value", steps),
        ("/blocks/b4/config/inputs/a", built)]
