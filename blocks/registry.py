"""The block registry: built-ins plus partners' packages found through entry points."""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Iterable

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import SchemaError
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import schemas

from .sdk import SDK_VERSION, Block
from .translations import translation_problems

ENTRY_POINT_GROUP = "callwright.blocks"
BUILTIN_MODULES = tuple(f"blocks.builtin.{name}" for name in (
    "say", "ask", "menu", "set", "branch", "split", "hours", "http_request", "script", "subflow",
    "send", "record", "transfer", "end", "bot"))
log = logging.getLogger(__name__)


class UnknownBlockType(LookupError):
    """A flow names a block type (or a pinned version) the registry does not have."""


@dataclass(frozen=True)
class BlockType:
    """A registered block: its class, its validated manifest and its config validator."""

    cls: type[Block]
    manifest: dict
    version: Version
    validator: Draft7Validator
    source: str

    @property
    def type(self) -> str:
        """Return the type name, such as `say` or `acme.crm_lookup`."""
        return self.manifest["type"]

    @property
    def raw_fields(self) -> tuple[str, ...]:
        """Return the top-level config fields that are not templates."""
        return tuple(self.manifest.get("raw_fields", ()))

    def exits_for(self, config: dict) -> list[str]:
        """Return every exit a block of this type with this config may take."""
        return self.cls.exits_for(config)


@dataclass(frozen=True)
class BrokenBlock:
    """A block the registry refused, with where and why."""

    source: str
    type: str | None
    path: str
    error: str

    def as_dict(self) -> dict:
        """Return the JSON form shown in `GET /api/v1/blocks`."""
        return {"source": self.source, "type": self.type, "path": self.path, "error": self.error}


class Registry:
    """Block types by name and version; refuses broken blocks, records why, and keeps going."""

    def __init__(self) -> None:
        self._types: dict[str, list[BlockType]] = {}
        self.broken: list[BrokenBlock] = []

    def register(self, cls: Any, source: str = "builtin") -> BlockType | None:
        """Validate and add a block class; on failure record it in `broken` and return None."""
        problem = _check(cls)
        if problem is not None:
            path, error = problem
            self._refuse(source, getattr(cls, "manifest", {}), path, error)
            return None
        manifest = cls.manifest
        block_type = BlockType(cls=cls, manifest=manifest, version=Version(manifest["version"]),
                               validator=Draft7Validator(manifest["config_schema"]), source=source)
        versions = self._types.setdefault(block_type.type, [])
        clash = next((v for v in versions if v.version == block_type.version), None)
        if clash is not None:
            self._refuse(source, manifest, "$.version",
                         f"duplicate: {block_type.type} {block_type.version} is already "
                         f"registered by {clash.source}")
            return None
        versions.append(block_type)
        versions.sort(key=lambda v: v.version)
        return block_type

    def _refuse(self, source: str, manifest: Any, path: str, error: str) -> None:
        name = manifest.get("type") if isinstance(manifest, dict) else None
        log.warning("block refused: %s (%s) at %s: %s", name, source, path, error)
        self.broken.append(BrokenBlock(source, name if isinstance(name, str) else None, path, error))

    def load_modules(self, modules: Iterable[str], source: str = "builtin") -> None:
        """Register every block class listed in each module's `BLOCKS`."""
        for name in modules:
            module = importlib.import_module(name)
            for cls in module.BLOCKS:
                self.register(cls, source)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register partners' blocks: each entry point names a Block class or a list of them."""
        for ep in entry_points(group=group):
            source = f"{ep.dist.name if ep.dist else '?'}:{ep.name}"
            try:
                loaded = ep.load()
            except Exception as exc:  # a partner package that fails to import must not stop us
                log.exception("block package %s failed to load", source)
                self.broken.append(BrokenBlock(source, None, "$", f"failed to load: {exc!r}"))
                continue
            for cls in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
                self.register(cls, source)

    def resolve(self, ref: str) -> BlockType:
        """Return the block type for `say` (newest version) or `acme.crm_lookup@2` (newest 2.x)."""
        name, _, major = ref.partition("@")
        versions = self._types.get(name)
        if not versions:
            raise UnknownBlockType(f"unknown block type {name!r}")
        if not major:
            return versions[-1]
        pinned = [v for v in versions if str(v.version.major) == major]
        if not pinned:
            have = ", ".join(str(v.version) for v in versions)
            raise UnknownBlockType(f"block type {name!r} has no version {major} (has {have})")
        return pinned[-1]

    def __contains__(self, ref: str) -> bool:
        try:
            self.resolve(ref)
        except UnknownBlockType:
            return False
        return True

    def types(self) -> list[BlockType]:
        """Return every registered block type, every version, sorted by name then version."""
        return [v for name in sorted(self._types) for v in self._types[name]]


def _check(cls: Any) -> tuple[str, str] | None:
    """Return (JSON path, reason) of the first thing wrong with a block class, or None."""
    if not (inspect.isclass(cls) and issubclass(cls, Block)):
        return "$", f"{cls!r} is not a subclass of blocks.sdk.Block"
    if not inspect.iscoroutinefunction(cls.run) or cls.run is Block.run:
        return "$", f"{cls.__name__}.run must be an `async def run(self, ctx)`"
    manifest = getattr(cls, "manifest", None)
    if not isinstance(manifest, dict):
        return "$", f"{cls.__name__} has no manifest"
    errors = sorted(_MANIFEST_VALIDATOR.iter_errors(manifest), key=lambda e: e.json_path)
    if errors:
        return errors[0].json_path, errors[0].message
    try:
        Draft7Validator.check_schema(manifest["config_schema"])
    except SchemaError as exc:
        return f"$.config_schema{exc.json_path[1:]}", exc.message
    try:
        if Version(SDK_VERSION) not in SpecifierSet(manifest.get("sdk", ">=1,<2")):
            return "$.sdk", f"needs SDK {manifest['sdk']}, this is SDK {SDK_VERSION}"
    except InvalidSpecifier as exc:
        return "$.sdk", str(exc)
    return next(iter(translation_problems(manifest)), None)


_MANIFEST_VALIDATOR = Draft202012Validator(schemas.load("block"))


@cache
def default_registry() -> Registry:
    """Return the process-wide registry: built-ins first, then installed partner packages."""
    registry = Registry()
    registry.load_modules(BUILTIN_MODULES)
    registry.load_entry_points()
    return registry
