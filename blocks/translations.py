"""A manifest's translations (`i18n`): the fields they address, what they lack, what they misname.

A translation addresses a field of the config schema by a field path, a JSON pointer (RFC 6901)
that walks the schema the way the config is shaped: `""` is the config as a whole, `/timeout_s`
a property, `/options/items/label` the `label` of every item of the `options` list,
`/range/items/0` the first position of a fixed-length list, `/values/additionalProperties` every
value of a map, `/token/oneOf/1` the second alternative, `/definitions/comparison/var` a field of
a definition reused through `$ref` (a `$ref` is never followed: a definition is translated once,
where it is written). At each step a property of that name comes first, then the keyword.
docs/blocks.md explains it to partners; frontend/src/lib/block-i18n.ts walks it the same way.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

#: keywords holding one subschema, one list of them (by position) or one map of them (by name)
ONE_SCHEMA = ("items", "additionalItems", "additionalProperties", "propertyNames", "contains",
              "not", "if", "then", "else")
SCHEMA_LIST = ("items", "oneOf", "anyOf", "allOf")
SCHEMA_MAP = ("definitions", "$defs", "patternProperties")
_JSON_PATH_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")


def escape(token: str) -> str:
    """Escape one name as a JSON pointer token (`~` as `~0`, `/` as `~1`)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo `escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def field_schema(config_schema: Any, path: str) -> dict | None:
    """Return the subschema a field path names in a config schema, or None when it names none."""
    if path == "":
        return config_schema if isinstance(config_schema, dict) else None
    if not path.startswith("/"):
        return None
    node: Any = config_schema
    tokens = [unescape(token) for token in path[1:].split("/")]
    while tokens:
        if not isinstance(node, dict):
            return None
        token = tokens.pop(0)
        properties = node.get("properties")
        if isinstance(properties, dict) and token in properties:
            node = properties[token]
        elif token in SCHEMA_LIST and isinstance(node.get(token), list):
            node = _at_position(node[token], tokens.pop(0) if tokens else "")
        elif token in ONE_SCHEMA:
            node = node.get(token)
        elif token in SCHEMA_MAP and isinstance(node.get(token), dict):
            node = node[token].get(tokens.pop(0)) if tokens else None
        else:
            return None
    return node if isinstance(node, dict) else None


def _at_position(schemas: list, token: str) -> Any:
    """Return the schema at a position written as a JSON pointer token (no sign, no leading 0)."""
    if not (token.isascii() and token.isdigit()) or (len(token) > 1 and token[0] == "0"):
        return None
    index = int(token)
    return schemas[index] if index < len(schemas) else None


def fields(config_schema: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    """Yield (field path, subschema) for every subschema a field path can name, the root first."""
    if not isinstance(config_schema, dict):
        return
    yield path, config_schema
    properties = config_schema.get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    for name in names:
        yield from fields(properties[name], f"{path}/{escape(name)}")
    for keyword, value in config_schema.items():
        if keyword in names:  # the property of that name shadows the keyword
            continue
        if keyword in SCHEMA_LIST and isinstance(value, list):
            for index, item in enumerate(value):
                yield from fields(item, f"{path}/{keyword}/{index}")
        elif keyword in ONE_SCHEMA:
            yield from fields(value, f"{path}/{keyword}")
        elif keyword in SCHEMA_MAP and isinstance(value, dict):
            for name, item in value.items():
                yield from fields(item, f"{path}/{keyword}/{escape(name)}")


def json_path(*parts: str) -> str:
    """Return the JSON path of a place in a manifest, written as jsonschema writes `json_path`."""
    path = "$"
    for part in parts:
        if _JSON_PATH_NAME.match(part):
            path += "." + part
        else:
            path += "['" + part.replace("\\", "\\\\").replace("'", r"\'") + "']"
    return path


def translation_problems(manifest: dict) -> list[tuple[str, str]]:
    """Return (JSON path, reason) of each field or exit a translation names that the block lacks."""
    # the manifest has passed the manifest schema already: `i18n` has the right shape
    problems: list[tuple[str, str]] = []
    exits = manifest.get("exits", [])
    for language, translation in sorted(manifest.get("i18n", {}).items()):
        for path in translation.get("fields", {}):
            if field_schema(manifest["config_schema"], path) is None:
                problems.append((json_path("i18n", language, "fields", path),
                                 f"{path!r} names no field of the config schema"))
        for name in translation.get("exits", {}):
            if name not in exits:
                declared = ", ".join(exits) or "none"
                problems.append((json_path("i18n", language, "exits", name),
                                 f"{name!r} is not one of the block's exits ({declared})"))
    return problems


def missing_translations(manifest: dict, language: str) -> list[str]:
    """Return the JSON path of each text (title, field, fixed exit...) that `language` lacks."""
    translation = manifest.get("i18n", {}).get(language)
    if translation is None:
        return [json_path("i18n", language)]
    missing = [json_path("i18n", language, key) for key in ("title", "category", "description")
               if manifest.get(key) and not translation.get(key)]
    given = translation.get("fields", {})
    for path, schema in fields(manifest["config_schema"]):
        for key in ("title", "description"):
            if schema.get(key) and not given.get(path, {}).get(key):
                missing.append(json_path("i18n", language, "fields", path, key))
    missing += [json_path("i18n", language, "exits", name) for name in manifest.get("exits", [])
                if not translation.get("exits", {}).get(name)]
    return missing
