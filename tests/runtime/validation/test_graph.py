"""runtime.validation.graph: types, exits, start, reachability, loops and subflow calls."""

import pytest

from blocks.registry import Registry
from blocks.sdk import Block
from runtime.validation import validate_flow
from runtime.validation.graph import strongly_connected

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def block_class(type_: str, exits=("next",), version="1.0.0", **manifest) -> type:
    """Return a Block subclass whose manifest is built from the arguments."""
    full = {"type": type_, "version": version, "title": type_, "category": "Test",
            "exits": list(exits), **manifest,
            "config_schema": {"$schema": DRAFT7, "type": "object"}}

    async def run(self, ctx):
        return None

    return type(f"{type_.title()}Block", (Block,), {"manifest": full, "run": run})


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    for cls in (block_class("say"), block_class("say", version="2.0.0"),
                block_class("set"), block_class("end", exits=[]),
                block_class("menu", exits=["failed"], waits=True,
                            exits_from=[{"list": "options", "field": "exit"}]),
                block_class("subflow")):
        assert reg.register(cls) is not None, reg.broken
    reg.register(type("CrmBlock", (Block,), {"manifest": {"type": "acme.crm"}}), "acme-blocks:crm")
    return reg


def flow(blocks: dict, start: str = "a", flow_id: str = "main") -> dict:
    """Return a flow document around some blocks."""
    return {"schema": "callwright/flow@1", "id": flow_id, "start": start, "blocks": blocks}


def say(next_: str | None = None, type_: str = "say") -> dict:
    """Return a say block going on to `next_`."""
    return {"type": type_, "config": {"text": "hi"}, "exits": {"next": next_} if next_ else {}}


def found(doc: dict, registry: Registry, **kwargs) -> list[tuple[str, str, str, str | None]]:
    """Return (severity, pointer, message, block) of every problem."""
    return [(p.severity, p.pointer, p.message, p.block)
            for p in validate_flow(doc, registry, **kwargs)]


def subflow(target: str, next_: str | None = None) -> dict:
    """Return a subflow block calling `target`."""
    return {"type": "subflow", "config": {"flow": target}, "exits": {"next": next_} if next_ else {}}


# block types

def test_an_unknown_block_type_is_an_error_with_a_suggestion(registry: Registry):
    assert found(flow({"a": say(type_="sya")}), registry) == [
        ("error", "/blocks/a/type", "unknown block type 'sya' (did you mean 'say'?)", "a")]


def test_a_pinned_version_that_does_not_exist_is_an_error(registry: Registry):
    assert found(flow({"a": say(type_="say@3")}), registry) == [
        ("error", "/blocks/a/type", "block type 'say' has no version 3 (has 1.0.0, 2.0.0)", "a")]


def test_a_pinned_version_that_exists_is_fine(registry: Registry):
    assert found(flow({"a": say("b", type_="say@1"), "b": say(type_="say@2")}), registry) == []


def test_a_type_whose_package_was_refused_says_why(registry: Registry):
    [(_, pointer, message, _)] = found(flow({"a": say(type_="acme.crm")}), registry)
    assert pointer == "/blocks/a/type"
    assert message.startswith("unknown block type 'acme.crm': the block package "
                              "acme-blocks:crm was refused")


# exits and the start

def test_an_exit_to_a_missing_block_is_an_error_at_the_exit(registry: Registry):
    assert found(flow({"a": say("nowhere")}), registry) == [
        ("error", "/blocks/a/exits/next",
         "exit 'next' goes to 'nowhere', which is not a block of this flow", "a")]


def test_a_start_that_names_no_block_is_an_error(registry: Registry):
    assert found(flow({"a": say()}, start="begin"), registry) == [
        ("error", "/start", "start block 'begin' is not a block of this flow", None)]


def test_an_exit_name_the_type_does_not_declare_is_an_error(registry: Registry):
    doc = flow({"a": {"type": "say", "exits": {"nxt": "b"}}, "b": say()})
    assert found(doc, registry) == [
        ("error", "/blocks/a/exits/nxt", "say has no exit 'nxt' (its exits: next, error)", "a"),
        ("warning", "/blocks/b", "block 'b' cannot be reached from the start block 'a'", "b")]


def test_every_block_may_take_the_error_exit(registry: Registry):
    doc = flow({"a": {"type": "say", "exits": {"next": "b", "error": "c"}}, "b": say(), "c": say()})
    assert found(doc, registry) == []


def test_exits_derived_from_config_are_declared(registry: Registry):
    menu = {"type": "menu", "config": {"options": [{"key": "1", "exit": "sales"}]},
            "exits": {"sales": "b", "failed": "b", "support": "b"}}
    assert found(flow({"a": menu, "b": say()}), registry) == [
        ("error", "/blocks/a/exits/support",
         "menu has no exit 'support' (its exits: failed, sales, error)", "a")]


def test_a_bad_target_the_schema_already_flagged_is_not_reported_twice(registry: Registry):
    problems = found(flow({"a": {"type": "say", "exits": {"next": ""}}}), registry)
    assert [pointer for _, pointer, _, _ in problems] == ["/blocks/a/exits/next"]
    assert "does not match" in problems[0][2]


# warnings: unreachable blocks and loops that never wait

def test_unreachable_blocks_are_warnings_naming_the_block(registry: Registry):
    doc = flow({"a": say("b"), "b": say(), "island": say("isle"), "isle": say()})
    assert found(doc, registry) == [
        ("warning", "/blocks/island", "block 'island' cannot be reached from the start block 'a'",
         "island"),
        ("warning", "/blocks/isle", "block 'isle' cannot be reached from the start block 'a'",
         "isle")]


def test_a_loop_with_no_waiting_block_is_a_warning_naming_the_cycle(registry: Registry):
    doc = flow({"a": say("b"), "b": {"type": "set", "exits": {"next": "c"}}, "c": say("a")})
    assert found(doc, registry) == [
        ("warning", "/blocks/a", "loop with no waiting block: a -> b -> c -> a; "
                                 "max_steps will stop it at run time", "a")]


def test_a_block_that_goes_to_itself_is_a_loop(registry: Registry):
    assert found(flow({"a": say("a")}), registry) == [
        ("warning", "/blocks/a", "loop with no waiting block: a -> a; "
                                 "max_steps will stop it at run time", "a")]


def test_a_loop_through_a_waiting_block_is_fine(registry: Registry):
    menu = {"type": "menu", "config": {"options": [{"key": "1", "exit": "again"}]},
            "exits": {"again": "a", "failed": "end"}}
    assert found(flow({"a": say("m"), "m": menu, "end": {"type": "end"}}), registry) == []


def test_a_loop_through_an_unknown_type_only_reports_the_type(registry: Registry):
    doc = flow({"a": say("b"), "b": {"type": "mystery", "exits": {"next": "a"}}})
    assert [pointer for _, pointer, _, _ in found(doc, registry)] == ["/blocks/b/type"]


def test_a_long_loop_is_shown_shortened(registry: Registry):
    ids = [f"s{i:02}" for i in range(30)]
    blocks = {block_id: say(ids[(i + 1) % 30]) for i, block_id in enumerate(ids)}
    [(_, _, message, _)] = found(flow(blocks, start="s00"), registry)
    assert message.startswith("loop with no waiting block: s00 -> s01 -> s02 -> s03 -> ... -> ")
    assert "s27 -> s28 -> s29 -> s00 (30 blocks)" in message


def test_strongly_connected_handles_long_chains_without_recursion():
    size = 100_000
    edges = {str(i): [str(i + 1)] for i in range(size)}
    edges[str(size)] = ["0"]
    [component] = strongly_connected(edges)
    assert len(component) == size + 1


def test_strongly_connected_separates_components():
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"], "e": []}
    assert sorted(map(sorted, strongly_connected(edges))) == [["a", "b"], ["c", "d"], ["e"]]


# subflows

def test_a_subflow_naming_no_flow_is_an_error(registry: Registry):
    assert found(flow({"a": subflow("billing")}), registry, flows={"main": None}) == [
        ("error", "/blocks/a/config/flow", "subflow 'billing' is not a flow of the workspace", "a")]


def test_subflows_are_not_checked_without_the_workspaces_flows(registry: Registry):
    assert found(flow({"a": subflow("billing")}), registry) == []


def test_a_subflow_cycle_across_flows_names_the_cycle(registry: Registry):
    flows = {"main": None, "billing": flow({"x": subflow("refunds")}, "x", "billing"),
             "refunds": flow({"y": subflow("main")}, "y", "refunds")}
    assert found(flow({"a": subflow("billing")}), registry, flows=flows) == [
        ("error", "/blocks/a/config/flow", "subflow cycle: main -> billing -> refunds -> main",
         "a")]


def test_a_flow_calling_itself_is_a_cycle(registry: Registry):
    assert found(flow({"a": subflow("main")}), registry, flows={}) == [
        ("error", "/blocks/a/config/flow", "subflow cycle: main -> main", "a")]


def test_a_cycle_elsewhere_is_reported_on_its_own_flows_not_on_a_caller(registry: Registry):
    flows = {"billing": flow({"x": subflow("refunds")}, "x", "billing"),
             "refunds": flow({"y": subflow("billing")}, "y", "refunds")}
    assert found(flow({"a": subflow("billing")}), registry, flows=flows) == []


def test_the_document_not_its_stored_copy_decides_its_own_calls(registry: Registry):
    stored = flow({"a": subflow("billing")})
    flows = {"main": stored, "billing": flow({"x": subflow("main")}, "x", "billing")}
    edited = flow({"a": say()})
    assert found(edited, registry, flows=flows) == []


def test_a_templated_subflow_name_is_left_to_run_time(registry: Registry):
    assert found(flow({"a": subflow("{{ vars.flow }}")}), registry, flows={}) == []
