"""Workspace settings: defaults, then `callwright.toml`, then `CALLWRIGHT_<SECTION>_<KEY>`."""

from __future__ import annotations

import copy
import math
import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Mapping

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import schemas
from blocks.builtin.hours import hours_problems
from runtime.errors import EngineError
from runtime.http import HTTP_DEFAULTS, parse_networks

FILENAME = "callwright.toml"
ENV_PREFIX = "CALLWRIGHT_"
DEFAULTS: dict[str, dict[str, Any]] = {
    "http": HTTP_DEFAULTS,
    "server": {"host": "127.0.0.1", "port": 8080},
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


class SettingsError(EngineError):
    """`callwright.toml` or a `CALLWRIGHT_*` variable is wrong; the message names where."""

    code = "invalid_settings"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def settings_schema() -> dict:
    """Return the JSON Schema of the settings (`$defs/settings` of the workspace schema)."""
    return schemas.load("workspace")["$defs"]["settings"]


@cache
def _validator(pointer: str = "/$defs/settings") -> Draft202012Validator:
    """Build a validator for a part of the workspace schema, its `$ref`s resolvable."""
    workspace = schemas.load("workspace")
    resource = Resource.from_contents(workspace)
    registry = Registry().with_resource(workspace["$id"], resource)
    return Draft202012Validator({"$ref": f"{workspace['$id']}#{pointer}"}, registry=registry)


def load_settings(root: Path | None, environ: Mapping[str, str] = os.environ) -> dict:
    """Return the workspace's settings: defaults, then its toml file, then the environment."""
    settings = copy.deepcopy(DEFAULTS)
    for section in settings_schema()["properties"]:
        settings.setdefault(section, {})
    if root is not None and (Path(root) / FILENAME).is_file():
        path = Path(root) / FILENAME
        document = _read_toml(path)
        _check(document, str(path))
        _merge(settings, document)
    _merge(settings, _from_environment(environ))
    return settings


def _read_toml(path: Path) -> dict:
    """Parse a toml file; raise SettingsError naming the file and line of a syntax error."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise SettingsError(f"{path}: {message}") from None
        reason = message[:position.start()].strip()
        raise SettingsError(f"{path}:{position[1]}:{position[2]}: {reason}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None


def _check(document: dict, source: str) -> None:
    """Validate parsed settings against the schema; raise SettingsError listing every problem."""
    found = [(list(map(str, e.path)), _pointer(e.path), e.message)
             for e in _validator().iter_errors(document)]
    section = document.get("http")
    allow = section.get("allow") if isinstance(section, dict) else None
    for index, cidr in enumerate(allow if isinstance(allow, list) else []):
        try:
            parse_networks([cidr] if isinstance(cidr, str) else [])
        except ValueError as exc:
            found.append((["http", "allow", str(index)], f"/http/allow/{index}", str(exc)))
    hours = document.get("hours")
    if isinstance(hours, dict):  # the calendar of {{ eta }}, checked as the `hours` block is
        found += [(["hours", *pointer.split("/")[1:]], f"/hours{pointer}", message)
                  for pointer, message in hours_problems(hours) if pointer != "/timezone"
                  or "timezone" in hours]
    problems = [f"{source}: {_where(pointer, message)}" for _, pointer, message in sorted(found)]
    if problems:
        raise SettingsError("\n".join(problems), problems)


def _where(pointer: str, message: str) -> str:
    """Prefix a message with the JSON pointer it concerns, unless that is the whole document."""
    return f"{pointer}: {message}" if pointer else message


def _pointer(path: Any) -> str:
    """Return the JSON pointer of a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _merge(target: dict, overrides: dict) -> None:
    """Copy each section's keys from `overrides` into `target`."""
    for section, values in overrides.items():
        target.setdefault(section, {}).update(copy.deepcopy(values))


def environment_name(section: str, key: str) -> str:
    """Return the variable that overrides `[section] key`, e.g. CALLWRIGHT_HTTP_ALLOW."""
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def _from_environment(environ: Mapping[str, str]) -> dict:
    """Return the settings given by CALLWRIGHT_<SECTION>_<KEY> variables, typed and checked."""
    overrides: dict[str, dict[str, Any]] = {}
    for section, section_schema in settings_schema()["properties"].items():
        for key, key_schema in section_schema.get("properties", {}).items():
            name = environment_name(section, key)
            if name not in environ:
                continue
            value = _typed(name, environ[name], key_schema)
            pointer = f"/$defs/settings/properties/{section}/properties/{key}"
            error = next(iter(_validator(pointer).iter_errors(value)), None)
            if error is not None:
                raise SettingsError(f"{name}: {_where(_pointer(error.path), error.message)}")
            if section == "http" and key == "allow":
                try:
                    parse_networks(value)
                except ValueError as exc:
                    raise SettingsError(f"{name}: {exc}") from None
            overrides.setdefault(section, {})[key] = value
    return overrides


def _typed(name: str, text: str, schema: dict) -> Any:
    """Convert a variable's text to the type its schema wants; raise SettingsError naming it."""
    kind = schema.get("type", "string")
    if kind == "array":
        items = [part.strip() for part in text.split(",") if part.strip()]
        return [_typed(name, item, schema.get("items", {})) for item in items]
    value = text.strip()
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise SettingsError(f"{name}: {text!r} is not an integer")
        return int(value)
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise SettingsError(f"{name}: {text!r} is not a number")
        return number
    if kind == "boolean":
        if value.lower() not in _TRUE | _FALSE:
            raise SettingsError(f"{name}: {text!r} is not a boolean (use true or false)")
        return value.lower() in _TRUE
    return text
