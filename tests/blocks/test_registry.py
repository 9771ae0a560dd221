"""The registry validates every block, records the broken ones with the reason, and keeps going."""

from __future__ import annotations

import copy

import pytest

from blocks import Registry, UnknownBlockType, default_registry
from blocks.sdk import Block

CONFIG_SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                 "properties": {"n": {"type": "integer"}}, "additionalProperties": False}


def make_block(type_name: str = "acme.thing", version: str = "1.0.0", **manifest) -> type[Block]:
    """Return a small block class with a valid manifest, changed by `manifest`."""
    base = {"type": type_name, "version": version, "title": "Thing", "category": "Acme",
            "config_schema": copy.deepcopy(CONFIG_SCHEMA), "exits": ["next"]}
    base.update(manifest)

    class Thing(Block):
        async def run(self, ctx):
            return "next"
    Thing.manifest = base
    return Thing


def test_a_valid_block_is_registered_and_resolvable():
    registry = Registry()
    registered = registry.register(make_block(), source="acme-pkg:thing")
    assert registered is not None and registry.resolve("acme.thing") is registered
    assert registered.source == "acme-pkg:thing" and registry.broken == []


def test_the_newest_version_wins_unless_the_flow_pins_a_major_version():
    registry = Registry()
    for version in ("1.0.0", "1.4.2", "2.0.0"):
        registry.register(make_block(version=version))
    assert str(registry.resolve("acme.thing").version) == "2.0.0"
    assert str(registry.resolve("acme.thing@1").version) == "1.4.2"
    with pytest.raises(UnknownBlockType, match="has no version 3"):
        registry.resolve("acme.thing@3")
    with pytest.raises(UnknownBlockType, match="unknown block type"):
        registry.resolve("acme.other")


@pytest.mark.parametrize("change, path, message", [
    ({"title": ""}, "$.title", "should be non-empty"),
    ({"version": "one"}, "$.version", "does not match"),
    ({"exits": "next"}, "$.exits", "is not of type 'array'"),
    ({"config_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                        "properties": {"n": {"type": "integr"}}}},
     "$.config_schema.properties.n.type", "is not valid under any of the given schemas"),
    ({"sdk": ">=2"}, "$.sdk", "needs SDK >=2"),
    ({"sdk": "not a specifier"}, "$.sdk", "Invalid specifier"),
    ({"i18n": {"russian": {"title": "Штука"}}}, "$.i18n", "'russian' does not match"),
    ({"i18n": {"ru": {"title": ""}}}, "$.i18n.ru.title", "should be non-empty"),
    ({"i18n": {"ru": {"fields": {"n": {"title": "Н"}}}}}, "$.i18n.ru.fields", "'n' does not match"),
    ({"i18n": {"ru": {"fields": {"/m": {"title": "М"}}}}}, "$.i18n.ru.fields['/m']",
     "'/m' names no field of the config schema"),
    ({"i18n": {"ru": {"exits": {"done": "готово"}}}}, "$.i18n.ru.exits.done",
     "'done' is not one of the block's exits (next)"),
])
def test_a_broken_manifest_is_recorded_with_its_path_and_the_registry_goes_on(change, path, message):
    registry = Registry()
    assert registry.register(make_block(**change), source="acme-pkg:thing") is None
    assert registry.register(make_block("acme.fine")) is not None
    (broken,) = registry.broken
    assert broken.source == "acme-pkg:thing" and broken.path == path
    assert message in broken.error
    assert "acme.fine" in registry and "acme.thing" not in registry


def test_a_manifest_may_carry_translations_of_its_texts_fields_and_exits():
    registry = Registry()
    russian = {"title": "Штука", "category": "Акме", "description": "Делает штуку.",
               "fields": {"": {"title": "Штука"},
                          "/n": {"title": "Число", "description": "Сколько."}},
               "exits": {"next": "далее"}}
    registered = registry.register(make_block(i18n={"ru": russian, "pt-BR": {"title": "Coisa"}}))
    assert registered is not None and registry.broken == []
    assert registered.manifest["i18n"]["ru"] == russian


def test_a_duplicate_type_and_version_is_refused_and_the_first_one_kept():
    registry = Registry()
    first = registry.register(make_block(), source="a")
    assert registry.register(make_block(), source="b") is None
    assert registry.resolve("acme.thing") is first
    assert "duplicate" in registry.broken[0].error and registry.broken[0].source == "b"


def test_something_that_is_not_a_block_is_refused():
    registry = Registry()

    class NotAsync(Block):
        manifest = make_block().manifest

        def run(self, ctx):  # type: ignore[override]
            return "next"
    assert registry.register(object) is None
    assert registry.register(NotAsync) is None
    assert [b.path for b in registry.broken] == ["$", "$"]
    assert "async def run" in registry.broken[1].error


def test_the_default_registry_holds_every_built_in_block_without_failures():
    registry = default_registry()
    builtin = {t.type for t in registry.types() if t.source == "builtin"}
    assert {"say", "ask", "menu", "set", "branch", "split", "hours", "http", "subflow",
            "record", "transfer", "end"} <= builtin
    assert [b for b in registry.broken if b.source == "builtin"] == []
