"""A manifest's translations: field paths name config fields, and every built-in speaks Russian."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from blocks.translations import field_schema, fields, missing_translations, translation_problems

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted([*(ROOT / "blocks" / "builtin").glob("*.json"),
                    *(ROOT / "examples" / "acme-crm" / "acme_crm").glob("*.json")])
BUILTIN_TYPES = {"bot", "say", "ask", "menu", "set", "branch", "split", "hours", "http", "script",
                 "subflow", "send", "record", "transfer", "end"}
CYRILLIC = re.compile("[А-Яа-яЁё]")
BRANDS = {"Acme"}  # names that stay as they are in every language

SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "title": "Thing",
    "properties": {
        "timeout_s": {"type": "number", "title": "Timeout"},
        "options": {"type": "array", "items": {"type": "object", "title": "Option", "properties": {
            "label": {"type": "string", "title": "Label"}}}},
        "range": {"type": "array", "items": [{"type": "string", "title": "Opens"},
                                             {"type": "string", "title": "Closes"}]},
        "values": {"type": "object", "additionalProperties": {"title": "Value"}},
        "token": {"oneOf": [{"type": "string", "title": "Token"},
                            {"type": "object", "title": "Secret",
                             "properties": {"$secret": {"type": "string", "title": "Name"}}}]},
        "a/b~c": {"type": "string", "title": "Odd name"},
        "box": {"type": "object", "properties": {"items": {"type": "string", "title": "Items"}}},
        "when": {"$ref": "#/definitions/condition"},
    },
    "definitions": {"condition": {"type": "object", "title": "Condition",
                                  "properties": {"var": {"type": "string", "title": "Variable"}}}},
}


def manifest_of(path: Path) -> dict:
    """Return a manifest file's content."""
    return json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize("path, title", [
    ("", "Thing"),
    ("/timeout_s", "Timeout"),
    ("/options/items", "Option"),
    ("/options/items/label", "Label"),
    ("/range/items/1", "Closes"),
    ("/values/additionalProperties", "Value"),
    ("/token/oneOf/1", "Secret"),
    ("/token/oneOf/1/$secret", "Name"),
    ("/a~1b~0c", "Odd name"),
    ("/box/items", "Items"),  # a property comes before the keyword of the same name
    ("/definitions/condition/var", "Variable"),
])
def test_a_field_path_walks_the_config_schema_as_the_config_is_shaped(path, title):
    assert field_schema(SCHEMA, path)["title"] == title


@pytest.mark.parametrize("path", [
    "timeout_s", "/nope", "/properties/timeout_s", "/timeout_s/title", "/options/label",
    "/range/items/2", "/range/items/01", "/range/items/-1", "/token/oneOf", "/token/oneOf/x",
    "/definitions", "/definitions/nope", "/when/var", "/a/b~c",
])
def test_a_field_path_that_names_no_field_names_nothing(path):
    assert field_schema(SCHEMA, path) is None


def test_every_field_listed_is_found_again_by_its_path():
    listed = dict(fields(SCHEMA))
    assert {"", "/options/items/label", "/range/items/0", "/token/oneOf/1/$secret", "/a~1b~0c",
            "/box/items", "/definitions/condition/var"} <= set(listed)
    for manifest_path in MANIFESTS:
        schema = manifest_of(manifest_path)["config_schema"]
        for path, node in fields(schema):
            assert field_schema(schema, path) is node, (manifest_path.name, path)


def test_a_translation_that_names_a_missing_field_or_exit_is_a_problem_at_its_path():
    manifest = {"config_schema": SCHEMA, "exits": ["next"], "i18n": {
        "ru": {"fields": {"/timeout_s": {"title": "Тайм-аут"}, "/timeout": {"title": "Т"}},
               "exits": {"next": "далее", "done": "готово"}},
        "de": {"fields": {"/options/label": {"title": "Beschriftung"}}}}}
    assert translation_problems(manifest) == [
        ("$.i18n.de.fields['/options/label']",
         "'/options/label' names no field of the config schema"),
        ("$.i18n.ru.fields['/timeout']", "'/timeout' names no field of the config schema"),
        ("$.i18n.ru.exits.done", "'done' is not one of the block's exits (next)"),
    ]


def test_what_a_translation_leaves_out_is_listed_by_its_path():
    manifest = {"title": "Thing", "category": "Acme", "config_schema": {
        "type": "object", "title": "Thing", "properties": {
            "n": {"type": "integer", "title": "Number", "description": "How many."}}},
        "exits": ["next", "done"],
        "i18n": {"ru": {"title": "Штука", "fields": {"/n": {"title": "Число"}},
                        "exits": {"next": "далее"}}}}
    assert missing_translations(manifest, "ru") == [
        "$.i18n.ru.category", "$.i18n.ru.fields[''].title", "$.i18n.ru.fields['/n'].description",
        "$.i18n.ru.exits.done"]
    assert missing_translations(manifest, "de") == ["$.i18n.de"]


def test_the_manifests_checked_are_every_built_in_and_the_example_partners():
    types = {manifest_of(path)["type"] for path in MANIFESTS}
    assert types == BUILTIN_TYPES | {"acme.crm_lookup"}
    assert len(MANIFESTS) == len(BUILTIN_TYPES) + 2  # acme.crm_lookup 1.0.0 and 2.0.0


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_every_built_in_and_example_manifest_has_a_complete_russian_translation(path):
    manifest = manifest_of(path)
    assert missing_translations(manifest, "ru") == []
    assert translation_problems(manifest) == []


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_the_russian_texts_are_in_russian(path):
    russian = manifest_of(path)["i18n"]["ru"]
    texts = [russian["title"], russian["category"], russian["description"],
             *russian.get("exits", {}).values(),
             *(text for field in russian["fields"].values() for text in field.values())]
    assert [text for text in texts if text not in BRANDS and not CYRILLIC.search(text)] == []
