"""The schema layer: the document's shape, then each block's config against its block type."""

from __future__ import annotations

import difflib
import json
import logging
import re
from functools import cache, lru_cache
from typing import Any, Collection, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

import schemas
from blocks.registry import BlockType
from blocks.sdk.templates import is_template, shared_checks, template_error

from .code import code_problems
from .problem import Problem, error, join

try:  # an optional accelerator: without it jsonschema does all the work, only slower
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the installation
    jsonschema_rs = None

log = logging.getLogger(__name__)
_LONG_REPR = 60


class SchemaCheck:
    """A schema's jsonschema validator, which reports every error, behind a fast validity test.

    The fast test (jsonschema-rs, when installed) only answers "valid?"; whenever it says no,
    or cannot tell, jsonschema itself finds and words the errors, so the problems reported are
    the same with or without it.
    """

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self._fast = _fast_validator(json.dumps(validator.schema, sort_keys=True))

    def is_valid_fast(self, instance: Any) -> bool:
        """Return True when the fast test knows the instance is valid."""
        if self._fast is None:
            return False
        try:
            return self._fast.is_valid(instance)
        except (ValueError, TypeError, OverflowError):
            return False  # not plain JSON data: jsonschema will say what is wrong with it

    def problems(self, instance: Any, base: str = "", block: str | None = None) -> list[Problem]:
        """Return a problem for every schema error of `instance`, pointers prefixed by `base`."""
        if self.is_valid_fast(instance):
            return []
        return schema_problems(self.validator, instance, base, block)


@lru_cache(maxsize=512)
def _fast_validator(schema_text: str) -> Any:
    """Return a jsonschema-rs validator of a schema, None when unavailable or refused."""
    if jsonschema_rs is None:
        return None
    try:
        return jsonschema_rs.validator_for(json.loads(schema_text))
    except Exception:  # a schema the fast engine cannot compile is still checked by jsonschema
        log.debug("no fast validator for schema %.80s", schema_text, exc_info=True)
        return None


@cache
def _flow_checks() -> tuple[SchemaCheck, SchemaCheck, SchemaCheck, SchemaCheck]:
    """Return checks of a whole flow, of a flow without its blocks, of one block, of a block id."""
    flow = schemas.load("flow")
    blocks = flow["properties"]["blocks"]
    shell = {**flow, "properties": {**flow["properties"], "blocks": {
        k: v for k, v in blocks.items() if k not in ("additionalProperties", "propertyNames")}}}
    context = {"$schema": flow["$schema"], "$defs": flow["$defs"]}
    return (SchemaCheck(Draft202012Validator(flow)), SchemaCheck(Draft202012Validator(shell)),
            SchemaCheck(Draft202012Validator({**context, **blocks["additionalProperties"]})),
            SchemaCheck(Draft202012Validator({**context, **blocks["propertyNames"]})))


def document_problems(doc: Any) -> list[Problem]:
    """Return the schema problems of a flow document.

    A valid document costs one fast test. Otherwise each block is tested on its own, so a flow
    of thousands of blocks with one bad block costs jsonschema's time for that block only.
    """
    whole, shell, one_block, block_id_check = _flow_checks()
    if whole.is_valid_fast(doc):
        return []
    blocks = doc.get("blocks") if isinstance(doc, dict) else None
    if not isinstance(blocks, dict):
        return whole.problems(doc)
    problems = shell.problems(doc)
    for block_id, block in blocks.items():
        pointer = join("/blocks", block_id)
        for found in block_id_check.problems(block_id):
            problems.append(error(pointer, f"invalid name: {found.message}", block_id))
        problems.extend(one_block.problems(block, pointer, block_id))
    return problems


@cache
def routes_check() -> SchemaCheck:
    """Return the check of routes.json, built once and reused."""
    workspace = schemas.load("workspace")
    # the routes schema refers to its siblings in $defs, so keep them beside it
    return SchemaCheck(Draft202012Validator({"$schema": workspace["$schema"],
                                             "$defs": workspace["$defs"],
                                             "$ref": "#/$defs/routes"}))


def schema_problems(validator: Validator, instance: Any, base: str = "",
                    block: str | None = None, ignore: Collection[tuple] = ()) -> list[Problem]:
    """Return a problem for every jsonschema error of `instance`, pointers prefixed with `base`.

    Errors about a value at or under a path in `ignore` are left out.
    """
    return [problem for err in validator.iter_errors(instance)
            if not _under(tuple(err.absolute_path), ignore)
            for problem in _problems_of(err, base, block)]


def _under(path: tuple, paths: Collection[tuple]) -> bool:
    """Return True when `path` is one of `paths` or lies under one of them."""
    return bool(paths) and any(path[:i] in paths for i in range(len(path) + 1))


def secret_paths(config: Any) -> set[tuple]:
    """Return the paths of the `{"$secret": NAME}` references in a config."""
    found: set[tuple] = set()
    stack: list[tuple[Any, tuple]] = [(config, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if path and is_secret(node):  # a whole config is an object, never a secret
                found.add(path)
            else:
                stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return found


def is_secret(node: Any) -> bool:
    """Return True for a secret reference, `{"$secret": "CRM_TOKEN"}`."""
    return isinstance(node, dict) and len(node) == 1 and isinstance(node.get("$secret"), str)


def _problems_of(err: ValidationError, base: str, block: str | None) -> Iterator[Problem]:
    """Turn one jsonschema error into problems that point at the offending member."""
    pointer = join(base, *err.absolute_path)
    if "propertyNames" in err.schema_path and isinstance(err.instance, str):
        # jsonschema reports a bad name at its object; point at the member itself
        yield error(join(pointer, err.instance), f"invalid name: {err.message}", block)
        return
    if err.validator == "additionalProperties" and isinstance(err.instance, dict) \
            and isinstance(err.schema, dict) and err.schema.get("additionalProperties") is False:
        allowed = list(err.schema.get("properties", {}))
        for name in _unexpected(err.instance, err.schema):
            yield error(join(pointer, name), _unexpected_message(name, allowed), block)
        return
    if err.validator in ("oneOf", "anyOf") and isinstance(err.validator_value, list):
        names = _required_alternatives(err.validator_value)
        if names is not None:
            amount = "exactly one" if err.validator == "oneOf" else "at least one"
            listed = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
            yield error(pointer, f"needs {amount} of {listed}", block)
            return
        best = best_match([err])
        if best is not err and best is not None:
            # the alternative that came closest says more than "not valid under any"
            yield from _problems_of(best, base, block)
            return
    yield error(pointer, _short_message(err), block)


def _required_alternatives(alternatives: list) -> list[str] | None:
    """Return the names of `oneOf: [{required: [a]}, {required: [b]}]`, else None."""
    names = []
    for alternative in alternatives:
        if not isinstance(alternative, dict) or set(alternative) != {"required"} \
                or len(alternative["required"]) != 1:
            return None
        names.append(alternative["required"][0])
    return names if len(names) > 1 else None


def _unexpected(instance: dict, schema: dict) -> list[str]:
    """Return the members of an object that its schema does not allow."""
    patterns = []
    for pattern in schema.get("patternProperties", {}):
        try:
            patterns.append(re.compile(pattern))
        except re.error:
            continue  # jsonschema has its own say about a broken pattern
    known = schema.get("properties", {})
    return [name for name in instance
            if name not in known and not any(p.search(name) for p in patterns)]


def _unexpected_message(name: str, allowed: list[str]) -> str:
    """Say that a member is not allowed, suggesting the closest allowed name."""
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unexpected property {name!r}{hint}"


def _short_message(err: ValidationError) -> str:
    """Return jsonschema's message with a huge instance abbreviated (`[...]`, `{...}`)."""
    shown = repr(err.instance)
    if len(shown) <= _LONG_REPR or not err.message.startswith(shown):
        return err.message
    if isinstance(err.instance, dict):
        brief = "{...}"
    elif isinstance(err.instance, list):
        brief = "[...]"
    else:
        brief = shown[:_LONG_REPR - 5] + "..." + shown[-1]
    return brief + err.message[len(shown):]


def config_problems(block_id: str, block: dict, block_type: BlockType,
                    check: SchemaCheck) -> list[Problem]:
    """Return the problems of one block's config: its schema, its type's check(), its templates."""
    config = block.get("config", {})
    if not isinstance(config, dict):
        return []  # the document schema has said so
    with shared_checks():  # the block's templates share one allowance of trial renders
        return _config_problems(block_id, config, block_type, check)


def _config_problems(block_id: str, config: dict, block_type: BlockType,
                     check: SchemaCheck) -> list[Problem]:
    """Return the problems of a block's config that is an object."""
    problems: list[Problem] = []
    if not check.is_valid_fast(config):
        # a secret stands for the value it is resolved to at run time, of any type
        problems = schema_problems(check.validator, config, join("/blocks", block_id, "config"),
                                   block_id, ignore=secret_paths(config))
    if not problems:
        problems.extend(_check_problems(block_id, config, block_type))
        problems.extend(code_problems(block_id, config, block_type))
    raw = block_type.raw_fields
    for name, value in config.items():
        if name not in raw:
            problems.extend(_template_problems(value, (((), "config"), name), block_id))
    return problems


def _check_problems(block_id: str, config: dict, block_type: BlockType) -> list[Problem]:
    """Return what the block type's own `check(config)` finds, pointers under the config."""
    try:
        found = block_type.cls.check(config)
    except Exception as exc:  # a partner's check() must not break validation of the flow
        if secret_paths(config):
            # a check written for resolved values may trip over a secret reference
            log.debug("check() of %s failed on a config with secrets", block_type.type,
                      exc_info=True)
            return []
        log.exception("check() of block type %s failed", block_type.type)
        return [error(join("/blocks", block_id, "config"),
                      f"{block_type.type} could not check its config: {exc!r}", block_id)]
    if not found:
        return []
    base = join("/blocks", block_id, "config")
    secrets = {join("", *path) for path in secret_paths(config)}
    problems = []
    for pointer, message in found:
        if pointer and not pointer.startswith("/"):
            pointer = "/" + pointer
        if not any(pointer == s or pointer.startswith(s + "/") for s in secrets):
            problems.append(error(base + pointer, message, block_id))
    return problems


def _template_problems(value: Any, where: tuple, block_id: str) -> list[Problem]:
    """Return a problem for every string under `value` whose template syntax is broken.

    `where` is a chain of (parent chain, token) tuples, joined into a pointer only on a problem,
    since almost every string of a flow is sound.
    """
    problems: list[Problem] = []
    stack = [(value, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            if "{" in node and is_template(node):  # the cheap test first: most text is plain
                message = template_error(node)
                if message is not None:
                    problems.append(error(_pointer(block_id, at), message, block_id))
        elif isinstance(node, dict):
            if is_secret(node):
                continue  # resolved at run time, never a template
            stack.extend((v, (at, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (at, i)) for i, v in enumerate(node))
    return problems


def _pointer(block_id: str, chain: tuple) -> str:
    """Return `/blocks/<id>/...` for a chain of (parent chain, token) tuples."""
    tokens = []
    while chain:
        chain, token = chain
        tokens.append(token)
    return join("/blocks", block_id, *reversed(tokens))
