"""runtime.workspace.stable_form: one byte sequence per content, keys in a fixed order, atomic writes."""

import json
import os
import stat
from pathlib import Path

import pytest

from blocks.registry import Registry, default_registry
from blocks.sdk import Block
from runtime.workspace.stable_form import dumps, write_atomic

DRAFT7 = "http://json-schema.org/draft-07/schema#"


class AskBlock(Block):
    """A test block whose config schema lists its fields in reading order, not sorted."""

    manifest = {"type": "ask", "version": "1.0.0", "title": "Ask", "category": "Test",
                "exits": ["next"],
                "config_schema": {"$schema": DRAFT7, "type": "object", "properties": {
                    "prompt": {"type": "string"}, "variable": {"type": "string"},
                    "kind": {"type": "string"}, "max_attempts": {"type": "integer"}}}}

    async def run(self, ctx):
        return "next"


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    assert reg.register(AskBlock) is not None, reg.broken
    return reg


SHUFFLED = {
    "zeta": 1, "layout": {"b": {"y": 2, "x": 1}, "a": {"y": 0, "x": 0}},
    "blocks": {
        "b_ask": {"exits": {"next": "a_end", "error": "a_end"}, "notes": "n", "misc": True,
                  "config": {"zzz": 1, "max_attempts": 3, "kind": "digits",
                             "variable": "vars.pin", "prompt": "PIN?", "aaa": {"y": 1, "x": 2}},
                  "label": "Ask PIN", "type": "ask"},
        "a_end": {"config": {"text": "Bye", "disposition": "done"}, "type": "mystery"}},
    "variables": {"b": [{"z": 1, "a": 2}], "a": 1}, "start": "b_ask", "outputs": ["x"],
    "inputs": ["y"], "settings": {"max_steps": 5, "language": "en"}, "description": "d",
    "name": "Name", "id": "f", "schema": "callwright/flow@1", "alpha": 0,
}


def test_top_level_keys_follow_the_reading_order_then_the_rest_sorted(registry: Registry):
    doc = json.loads(dumps(SHUFFLED, registry))
    assert list(doc) == ["schema", "id", "name", "description", "start", "settings", "variables",
                         "inputs", "outputs", "blocks", "layout", "alpha", "zeta"]


def test_blocks_are_sorted_by_id_and_block_keys_follow_their_order(registry: Registry):
    doc = json.loads(dumps(SHUFFLED, registry))
    assert list(doc["blocks"]) == ["a_end", "b_ask"]
    assert list(doc["blocks"]["b_ask"]) == ["type", "label", "notes", "config", "exits", "misc"]


def test_config_keys_follow_the_block_types_schema_then_the_rest_sorted(registry: Registry):
    config = json.loads(dumps(SHUFFLED, registry))["blocks"]["b_ask"]["config"]
    assert list(config) == ["prompt", "variable", "kind", "max_attempts", "aaa", "zzz"]
    assert list(config["aaa"]) == ["x", "y"]


def test_config_of_an_unknown_type_or_without_a_registry_is_sorted(registry: Registry):
    doc = json.loads(dumps(SHUFFLED, registry))
    assert list(doc["blocks"]["a_end"]["config"]) == ["disposition", "text"]
    config = json.loads(dumps(SHUFFLED))["blocks"]["b_ask"]["config"]
    assert list(config) == sorted(config)


def test_everything_else_is_sorted_at_every_depth(registry: Registry):
    doc = json.loads(dumps(SHUFFLED, registry))
    assert list(doc["layout"]) == ["a", "b"] and list(doc["layout"]["b"]) == ["x", "y"]
    assert list(doc["settings"]) == ["language", "max_steps"]
    assert list(doc["variables"]) == ["a", "b"] and list(doc["variables"]["b"][0]) == ["a", "z"]
    assert list(doc["blocks"]["b_ask"]["exits"]) == ["error", "next"]


def test_lists_keep_their_order(registry: Registry):
    doc = {"schema": "callwright/flow@1", "variables": {"l": [3, 1, 2]}, "outputs": ["b", "a"]}
    assert json.loads(dumps(doc, registry)) == doc


def test_the_text_is_utf8_two_space_indented_with_a_trailing_newline():
    text = dumps({"schema": "callwright/flow@1", "name": "Привет, café", "blocks": {}})
    assert text == ('{\n  "schema": "callwright/flow@1",\n  "name": "Привет, café",\n'
                    '  "blocks": {}\n}\n')


def test_the_stable_form_is_idempotent(registry: Registry):
    once = dumps(SHUFFLED, registry)
    assert dumps(json.loads(once), registry) == once
    assert dumps(json.loads(dumps(SHUFFLED)), None) == dumps(SHUFFLED)


def test_the_same_content_in_any_order_gives_the_same_bytes(registry: Registry):
    reordered = json.loads(json.dumps(SHUFFLED, sort_keys=True))
    assert dumps(reordered, registry) == dumps(SHUFFLED, registry)


def test_the_document_is_not_changed(registry: Registry):
    before = json.dumps(SHUFFLED)
    dumps(SHUFFLED, registry)
    assert json.dumps(SHUFFLED) == before


def test_other_documents_start_with_schema_and_id_then_are_sorted():
    routes = {"voice": {"b": "x", "a": "y"}, "chat": {}, "schema": "callwright/routes@1"}
    assert list(json.loads(dumps(routes))) == ["schema", "chat", "voice"]
    responses = {"responses": {}, "name": "Bank", "id": "bank",
                 "schema": "callwright/responses@1", "b": 1}
    assert list(json.loads(dumps(responses))) == ["schema", "id", "name", "b", "responses"]


def test_odd_shapes_are_written_as_they_are_not_crashed_on(registry: Registry):
    for doc in [[{"b": 1, "a": 2}], "x", 3, None, {"blocks": {"a": None, "b": [1]}},
                {"schema": "callwright/flow@1", "blocks": {"a": {"type": 5, "config": [2]}}}]:
        assert json.loads(dumps(doc, registry)) == doc


def test_a_flow_from_the_built_in_blocks_keeps_the_manifest_order():
    doc = {"schema": "callwright/flow@1", "id": "f", "start": "m", "blocks": {"m": {
        "type": "menu", "config": {"timeout_s": 5, "options": [], "prompt": "p"}}}}
    config = json.loads(dumps(doc, default_registry()))["blocks"]["m"]["config"]
    assert list(config) == ["prompt", "options", "timeout_s"]


def test_write_atomic_replaces_the_content_and_keeps_the_files_mode(tmp_path: Path):
    path = tmp_path / "flow.json"
    path.write_text("old", "utf-8")
    os.chmod(path, 0o640)
    write_atomic(path, "new é\n")
    assert path.read_bytes() == "new é\n".encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["flow.json"]


def test_write_atomic_creates_a_readable_new_file(tmp_path: Path):
    path = tmp_path / "new.json"
    write_atomic(path, "{}\n")
    assert path.read_text("utf-8") == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch):
    path = tmp_path / "flow.json"
    path.write_text("old", "utf-8")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text("utf-8") == "old"
    assert os.listdir(tmp_path) == ["flow.json"]


def test_a_bots_keys_come_in_reading_order_and_its_phrases_keep_theirs():
    doc = {"entities": {}, "intents": {"b": {"response": "x/y", "examples": {"en": ["z", "a"]}},
                                       "a": {"examples": {"ru": ["я"]}}},
           "min_confidence": 0.5, "languages": ["ru", "en"], "id": "bank",
           "schema": "callwright/bot@1", "name": "Bank"}
    text = dumps(doc)
    assert list(json.loads(text)) == ["schema", "id", "name", "languages", "min_confidence",
                                      "intents", "entities"]
    assert list(json.loads(text)["intents"]) == ["a", "b"]
    assert json.loads(text)["intents"]["b"]["examples"]["en"] == ["z", "a"]
    assert json.loads(text)["languages"] == ["ru", "en"]
    assert '"я"' in text  # UTF-8, not \u escapes
