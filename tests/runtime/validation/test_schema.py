"""runtime.validation.schema: the document's shape and each block's config, every error pointed."""

import faulthandler
import time

import pytest
from jsonschema import Draft202012Validator

import schemas
from blocks.registry import Registry
from blocks.sdk import Block
from blocks.sdk.limits import TemplateLimitError
from runtime.validation.schema import (SchemaCheck, config_problems, document_problems,
                                       schema_problems)

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def block_class(type_: str, exits=("next",), properties=None, required=(), check=None,
                **manifest) -> type:
    """Return a Block subclass whose manifest is built from the arguments."""
    full = {"type": type_, "version": "1.0.0", "title": type_, "category": "Test",
            "exits": list(exits), **manifest,
            "config_schema": {"$schema": DRAFT7, "type": "object", "additionalProperties": False,
                              "properties": properties or {}, "required": list(required),
                              **manifest.pop("schema_extra", {})}}
    full.pop("schema_extra", None)

    async def run(self, ctx):
        return None

    attrs = {"manifest": full, "run": run}
    if check is not None:
        attrs["check"] = classmethod(check)
    return type(f"{type_.title()}Block", (Block,), attrs)


def split_check(cls, config: dict) -> list[tuple[str, str]]:
    """Say when the percentages do not add up to 100."""
    total = sum(branch["percent"] for branch in config["branches"])
    return [] if total == 100 else [("/branches", f"percentages add up to {total}, not 100")]


def broken_check(cls, config: dict) -> list[tuple[str, str]]:
    """Fail the way a buggy partner block would."""
    raise KeyError("oops")


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    text = {"type": "string"}
    option = {"type": "object", "properties": {"key": text, "label": text, "exit": text}}
    for cls in (
        block_class("say", properties={"text": text, "audio": text, "response": text},
                    raw_fields=["audio"],
                    schema_extra={"oneOf": [{"required": ["text"]}, {"required": ["audio"]},
                                            {"required": ["response"]}]}),
        block_class("menu", exits=["failed"], waits=True,
                    exits_from=[{"list": "options", "field": "exit"}],
                    properties={"prompt": text, "options": {"type": "array", "items": option},
                                "timeout_s": {"type": "number", "minimum": 1}},
                    required=["prompt", "options"]),
        block_class("split", exits=[], check=split_check,
                    properties={"branches": {"type": "array", "items": {
                        "type": "object", "properties": {"percent": {"type": "integer"}},
                        "required": ["percent"]}}}, required=["branches"]),
        block_class("acme.fragile", check=broken_check, properties={"x": text}),
    ):
        assert reg.register(cls) is not None, reg.broken
    return reg


def problems_of(registry: Registry, block_id: str, block: dict) -> list[tuple[str, str]]:
    """Return (pointer, message) of one block's config problems."""
    block_type = registry.resolve(block["type"])
    found = config_problems(block_id, block, block_type, SchemaCheck(block_type.validator))
    assert all(p.block == block_id and p.severity == "error" for p in found)
    return sorted((p.pointer, p.message) for p in found)


def flow_doc(**blocks) -> dict:
    """Return a minimal flow around some blocks."""
    return {"schema": "callwright/flow@1", "id": "f", "start": next(iter(blocks), "a"),
            "blocks": blocks}


# the document layer

def test_a_valid_document_has_no_schema_problems():
    assert document_problems(flow_doc(a={"type": "say", "config": {"text": "hi"}})) == []


def test_a_missing_required_member_is_reported_at_the_document():
    doc = flow_doc(a={"type": "say"})
    del doc["start"]
    assert [(p.pointer, p.message) for p in document_problems(doc)] == [
        ("", "'start' is a required property")]


def test_an_unexpected_member_is_pointed_at_with_a_suggestion():
    doc = {**flow_doc(a={"type": "say"}), "strat": "a"}
    [problem] = document_problems(doc)
    assert (problem.pointer, problem.message) == (
        "/strat", "unexpected property 'strat' (did you mean 'start'?)")


def test_a_bad_block_id_is_pointed_at_the_block_and_names_it():
    [problem] = document_problems({**flow_doc(**{"1st": {"type": "say"}}), "start": "a"})
    assert (problem.pointer, problem.block) == ("/blocks/1st", "1st")
    assert problem.message.startswith("invalid name: '1st' does not match")


def test_errors_inside_blocks_point_into_the_block():
    doc = flow_doc(a={"type": 3, "exits": {"next": 5}, "label": "x" * 300})
    assert sorted((p.pointer, p.block) for p in document_problems(doc)) == [
        ("/blocks/a/exits/next", "a"), ("/blocks/a/label", "a"), ("/blocks/a/type", "a")]


def test_a_huge_value_is_abbreviated_in_the_message():
    doc = {**flow_doc(a={"type": "say"}), "blocks": [{"type": "say"}] * 1000}
    [problem] = document_problems(doc)
    assert problem.message == "[...] is not of type 'object'"


def test_checking_block_by_block_finds_exactly_what_jsonschema_finds_on_the_whole_document():
    doc = {"schema": "x", "id": "1", "start": "a", "extra": 1, "layout": {"a": {"x": "1"}},
           "blocks": {"1bad": {"type": "say", "foo": 1, "exits": {"a b": "", "n": 3}},
                      "ok": {"type": "say"}, "b": 7, "c": {"type": "Say@x", "config": []}}}
    whole = schema_problems(Draft202012Validator(schemas.load("flow")), doc)
    assert sorted(map(str, document_problems(doc))) == sorted(map(str, whole))
    assert sorted(p.pointer for p in whole) == [
        "/blocks/1bad", "/blocks/1bad/exits/a b", "/blocks/1bad/exits/a b",
        "/blocks/1bad/exits/n", "/blocks/1bad/foo", "/blocks/b", "/blocks/c/config",
        "/blocks/c/type", "/extra", "/id", "/layout/a", "/layout/a/x", "/schema"]


def test_problems_are_the_same_without_the_fast_validity_test(registry: Registry):
    block_type = registry.resolve("menu")
    fast, slow = SchemaCheck(block_type.validator), SchemaCheck(block_type.validator)
    slow._fast = None
    for config in [{"prompt": "p", "options": []}, {"options": 3, "timeout_s": 0}, {"x": 1}]:
        assert fast.problems(config, "/c") == slow.problems(config, "/c")
    assert fast.problems({"prompt": "p", "options": []}) == []


def test_values_that_are_not_json_are_reported_not_crashed_on(registry: Registry):
    check = SchemaCheck(registry.resolve("menu").validator)
    [problem] = check.problems({"prompt": object(), "options": []}, "/c")
    assert problem.pointer == "/c/prompt"


# the config layer

def test_a_bad_config_value_points_into_the_config_and_names_the_block(registry: Registry):
    block = {"type": "menu", "config": {"prompt": "p", "options": [], "timeout_s": 0}}
    assert problems_of(registry, "main_menu", block) == [
        ("/blocks/main_menu/config/timeout_s", "0 is less than the minimum of 1")]


def test_every_config_error_is_reported(registry: Registry):
    block = {"type": "menu", "config": {"options": [{"key": 1}], "timeout_s": "5", "timout_s": 1}}
    assert problems_of(registry, "m", block) == [
        ("/blocks/m/config", "'prompt' is a required property"),
        ("/blocks/m/config/options/0/key", "1 is not of type 'string'"),
        ("/blocks/m/config/timeout_s", "'5' is not of type 'number'"),
        ("/blocks/m/config/timout_s", "unexpected property 'timout_s' (did you mean 'timeout_s'?)")]


def test_one_of_several_required_fields_is_worded_plainly(registry: Registry):
    assert problems_of(registry, "s", {"type": "say", "config": {}}) == [
        ("/blocks/s/config", "needs exactly one of 'text', 'audio' or 'response'")]
    assert problems_of(registry, "s", {"type": "say", "config": {"text": "a", "audio": "b"}}) == [
        ("/blocks/s/config", "needs exactly one of 'text', 'audio' or 'response'")]


def test_a_missing_config_is_an_empty_one(registry: Registry):
    assert problems_of(registry, "m", {"type": "menu"}) == [
        ("/blocks/m/config", "'options' is a required property"),
        ("/blocks/m/config", "'prompt' is a required property")]


def test_the_block_types_check_runs_after_the_schema_passes(registry: Registry):
    block = {"type": "split", "config": {"branches": [{"percent": 60}, {"percent": 30}]}}
    assert problems_of(registry, "ab", block) == [
        ("/blocks/ab/config/branches", "percentages add up to 90, not 100")]


def test_the_block_types_check_is_skipped_when_the_schema_fails(registry: Registry):
    block = {"type": "split", "config": {"branches": [{"share": 60}]}}
    assert problems_of(registry, "ab", block) == [
        ("/blocks/ab/config/branches/0", "'percent' is a required property")]


def test_a_check_that_raises_is_reported_not_propagated(registry: Registry):
    [(pointer, message)] = problems_of(registry, "x", {"type": "acme.fragile", "config": {}})
    assert pointer == "/blocks/x/config"
    assert message == "acme.fragile could not check its config: KeyError('oops')"


def test_template_syntax_errors_name_the_block_and_the_field(registry: Registry):
    block = {"type": "say", "config": {"text": "Hello {{ vars.name }"}}
    [(pointer, message)] = problems_of(registry, "welcome", block)
    assert pointer == "/blocks/welcome/config/text"
    assert message.startswith("template syntax error on line 1: ")


def test_templates_nested_in_lists_and_objects_are_checked_with_their_line(registry: Registry):
    block = {"type": "menu", "config": {"prompt": "ok {{ 1 }}", "options": [
        {"key": "1", "label": "fine"}, {"key": "2", "label": "a\n{% if %}"}]}}
    [(pointer, message)] = problems_of(registry, "m", block)
    assert pointer == "/blocks/m/config/options/1/label"
    assert message.startswith("template syntax error on line 2: ")


def test_raw_fields_and_secret_references_are_not_templates(registry: Registry):
    block = {"type": "say", "config": {"audio": "prompts/{{broken"}}
    assert problems_of(registry, "s", block) == []
    block = {"type": "acme.fragile", "config": {"x": {"$secret": "{{NOT_A_TEMPLATE"}}}
    found = problems_of(registry, "s", block)
    assert not any("template" in message for _, message in found)


def test_template_errors_are_reported_alongside_schema_errors(registry: Registry):
    block = {"type": "menu", "config": {"prompt": "{{", "options": [], "timeout_s": 0}}
    assert [p for p, _ in problems_of(registry, "m", block)] == [
        "/blocks/m/config/prompt", "/blocks/m/config/timeout_s"]


# secrets: `{"$secret": NAME}` stands for a value resolved at run time

def test_a_secret_may_stand_where_a_value_is_expected(registry: Registry):
    block = {"type": "menu", "config": {"prompt": {"$secret": "PROMPT"}, "options": [
        {"key": "1", "label": {"$secret": "LABEL"}}], "timeout_s": {"$secret": "WAIT"}}}
    assert problems_of(registry, "m", block) == []


def test_a_secret_does_not_excuse_an_unknown_field_or_a_bad_name(registry: Registry):
    block = {"type": "menu", "config": {"prompt": {"$secret": 5}, "options": [],
                                        "token": {"$secret": "T"}}}
    assert problems_of(registry, "m", block) == [
        ("/blocks/m/config/prompt", "{'$secret': 5} is not of type 'string'"),
        ("/blocks/m/config/token", "unexpected property 'token'")]


def test_a_check_that_trips_over_a_secret_reports_nothing(registry: Registry):
    assert problems_of(registry, "x", {"type": "acme.fragile",
                                       "config": {"x": {"$secret": "X"}}}) == []


# templates over their limits

NESTED_LOOPS = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"


@pytest.fixture
def watchdog():
    """Abort the run with tracebacks if a test hangs: a regression must not hang the suite."""
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_a_template_over_its_limits_whatever_the_data_is_pointed_at(registry: Registry, watchdog):
    started = time.perf_counter()
    block = {"type": "menu", "config": {"prompt": "{{ 'a' * 1000000000 }}", "options": [
        {"key": "1", "label": "fine {{ vars.x }}"}, {"key": "2", "label": NESTED_LOOPS}]}}
    assert problems_of(registry, "m", block) == [
        ("/blocks/m/config/options/1/label", str(TemplateLimitError("steps"))),
        ("/blocks/m/config/prompt", str(TemplateLimitError("built")))]
    assert time.perf_counter() - started < 5


def test_a_template_over_its_limits_only_with_some_data_is_left_to_run_time(registry: Registry):
    block = {"type": "say", "config": {"text": "{{ vars.s * vars.n }} {{ range(vars.n)|list }}"}}
    assert problems_of(registry, "s", block) == []


def test_many_heavy_templates_in_a_block_are_checked_quickly(registry: Registry, watchdog):
    options = [{"key": str(i), "label": NESTED_LOOPS.replace("{% endfor %}{% endfor %}",
                                                             f"{{% set x = {i} %}}{{% endfor %}}"
                                                             "{% endfor %}")}
               for i in range(40)]  # no two alike: no verdict is kept from before
    started = time.perf_counter()
    block = {"type": "menu", "config": {"prompt": "p", "options": options}}
    found = problems_of(registry, "m", block)
    assert time.perf_counter() - started < 5
    assert found and all(message == str(TemplateLimitError("steps")) for _, message in found)
