"""Diffs of two flow documents, block by block."""

from __future__ import annotations

import copy
import json

from builder.flowstore.diff import diff_flows, diff_sections


def test_an_unchanged_flow_has_an_empty_diff(hello_flow):
    assert diff_flows(hello_flow(), hello_flow()) == {
        "added": [], "removed": [], "changed": [], "moved": [], "flow_fields": []}


def test_blocks_added_removed_changed_and_moved(hello_flow):
    old = hello_flow()
    new = copy.deepcopy(old)
    new["blocks"]["hi"]["config"]["text"] = "Hello."
    new["blocks"]["hi"]["exits"]["next"] = "menu"
    new["blocks"]["hi"]["label"] = "Greeting"
    new["blocks"]["menu"] = {"type": "end", "config": {}}
    new["layout"]["bye"] = {"x": 400, "y": 0}
    old["blocks"]["gone"] = {"type": "end"}
    assert diff_flows(old, new) == {
        "added": ["menu"], "removed": ["gone"],
        "changed": [{"id": "hi", "fields": ["label", "config", "exits"]}],
        "moved": ["bye"], "flow_fields": []}


def test_a_block_whose_type_and_notes_change_and_that_moves_is_changed_not_moved(hello_flow):
    old = hello_flow()
    new = copy.deepcopy(old)
    new["blocks"]["bye"] = {"type": "say", "notes": "say goodbye first", "config": {}}
    new["layout"]["bye"] = {"x": 0, "y": 300}
    diff = diff_flows(old, new)
    assert diff["changed"] == [{"id": "bye", "fields": ["type", "notes"]}]
    assert diff["moved"] == []


def test_an_absent_config_or_exits_equals_an_empty_one(hello_flow):
    old = hello_flow()
    new = copy.deepcopy(old)
    del new["blocks"]["bye"]["config"]
    assert diff_flows(old, new)["changed"] == []


def test_flow_level_fields(hello_flow):
    old = hello_flow()
    new = {**old, "start": "bye", "settings": {"language": "ru-RU"}, "name": "Привет"}
    del new["layout"]
    diff = diff_flows(old, new)
    assert diff["flow_fields"] == ["name", "settings", "start"]
    assert diff["moved"] == ["bye", "hi"]  # the layout went away


def test_documents_that_are_not_flows_do_not_break_the_diff(hello_flow):
    assert diff_flows(hello_flow(), {"blocks": [1, 2]})["removed"] == ["bye", "hi"]
    assert diff_flows({"blocks": {"a": "text"}}, {"blocks": {"a": {"type": "end"}}})[
        "changed"] == [{"id": "a", "fields": ["type", "label", "notes", "config", "exits"]}]
    assert json.dumps(diff_flows(None, 3))


def test_a_bot_is_compared_intent_by_intent_and_entity_by_entity():
    bot_diff = diff_sections(("intents", "entities"))
    old = {"schema": "callwright/bot@1", "id": "bank", "languages": ["en"],
           "intents": {"balance": {"examples": {"en": ["my balance"]}},
                       "hours": {"examples": {"en": ["when are you open"]}}},
           "entities": {"card": {"kind": "list", "values": {"debit": ["debit"]}}}}
    new = copy.deepcopy(old)
    new["languages"] = ["en", "ru"]
    new["intents"]["balance"]["response"] = "bank/balance"
    del new["intents"]["hours"]
    new["intents"]["agent"] = {"examples": {"en": ["a person please"]}}
    new["entities"]["card"]["values"]["credit"] = ["credit"]
    new["entities"]["account"] = {"kind": "digits"}
    assert bot_diff(old, new) == {
        "added": ["intents/agent", "entities/account"], "removed": ["intents/hours"],
        "changed": [{"id": "intents/balance", "fields": ["response"]},
                    {"id": "entities/card", "fields": ["values"]}],
        "fields": ["languages"]}
    assert bot_diff(old, copy.deepcopy(old)) == {"added": [], "removed": [], "changed": [],
                                                 "fields": []}


def test_an_item_that_is_no_object_differs_as_a_whole_and_a_missing_section_is_empty():
    responses_diff = diff_sections(("responses",))
    assert responses_diff({"responses": {"hi": "text"}}, {"responses": {"hi": {"text": "x"}}}) \
        == {"added": [], "removed": [], "changed": [{"id": "responses/hi", "fields": ["*"]}],
            "fields": []}
    assert responses_diff({"id": "a"}, {"id": "a", "responses": {"hi": {}}}) == {
        "added": ["responses/hi"], "removed": [], "changed": [], "fields": []}
