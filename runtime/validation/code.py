"""Script code and `expr` conditions in block configs, checked by the sandbox's own compiler."""

from __future__ import annotations

from typing import Any, Iterator

from blocks.registry import BlockType
from runtime.sandbox import check, check_expression

from .problem import Problem, error, join


def code_problems(block_id: str, config: dict, block_type: BlockType) -> list[Problem]:
    """Return compile problems of code fields and `expr` conditions, each with its line."""
    base = join("/blocks", block_id, "config")
    problems = []
    for name in _code_fields(block_type):
        code = config.get(name)
        if isinstance(code, str):
            problems += [error(join(base, name), f"line {line}: {message}", block_id)
                         for line, message in check(code)]
    for path, expression in _expressions(config, ()):
        problems += [error(join(base, *path, "expr"), f"line {line}: {message}", block_id)
                     for line, message in check_expression(expression)]
    return problems


def _code_fields(block_type: BlockType) -> list[str]:
    """Return the config fields the manifest marks as Python code (`"x-language": "python"`)."""
    properties = block_type.manifest["config_schema"].get("properties", {})
    return [name for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("x-language") == "python"]


def _expressions(node: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    """Yield (path, expression) for every `{"expr": "..."}` condition in a config."""
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            yield path, node["expr"]
        for key, value in node.items():
            yield from _expressions(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _expressions(value, (*path, index))
