"""Responses sets: a set file's problems, and the references of flows and bots to its responses."""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any, Mapping

from jsonschema import Draft202012Validator

import schemas
from blocks.registry import BlockType
from blocks.sdk.templates import is_template, template_error
from runtime.channels.segments import MOST_SEGMENTS, segment

from .problem import Problem, error, join, ordered, warning
from .schema import SchemaCheck

RESPONSES_KIND = "callwright/responses@1"
# the config field through which a block names a response (`say`, `send`, `end`), when the
# block's manifest lists it among its raw fields (a name, not a template)
RESPONSE_FIELD = "response"
_TEMPLATES = ("text", "subject", "html")


@cache
def responses_check() -> SchemaCheck:
    """Return the check of a responses document, built once and reused."""
    return SchemaCheck(Draft202012Validator(schemas.load("responses")))


def validate_responses(doc: Any) -> list[Problem]:
    """Return every problem of a responses document: its schema, then its templates' syntax."""
    problems = responses_check().problems(doc)
    if problems or not isinstance(doc, dict):
        return ordered(problems)
    for name, response in doc["responses"].items():
        base = join("/responses", name)
        places = [(base, response), *((join(base, "variants", n), variant)
                                      for n, variant in enumerate(response.get("variants", ())))]
        for pointer, content in places:
            for field in _TEMPLATES:
                value = content.get(field)
                if isinstance(value, str) and is_template(value):
                    message = template_error(value)
                    if message is not None:
                        problems.append(error(join(pointer, field), message))
            problem = _sms_problem(pointer, content)
            if problem is not None:
                problems.append(problem)
    return ordered(problems)


def _sms_problem(pointer: str, content: dict) -> Problem | None:
    """Warn of an SMS variant's text (without templates) that is longer than a gateway takes:
    delivery would refuse it. A warning, since [sms] max_segments may allow more."""
    text = content.get("text")
    if content.get("channel") != "sms" or not isinstance(text, str) or is_template(text):
        return None
    parts = segment(text)
    if parts.count <= MOST_SEGMENTS:
        return None
    return warning(join(pointer, "text"),
                   f"takes {parts.count} SMS segments ({len(text)} characters in "
                   f"{parts.encoding.upper()}), more than the {MOST_SEGMENTS} a message may take "
                   f"unless [sms] max_segments allows more")


def reference_problem(pointer: str, name: str, sets: Mapping[str, Any],
                      block: str | None = None) -> Problem | None:
    """Return the error of a `set/name` reference to no response of `sets`, else None.

    `sets` maps set ids to documents; None stands for a set file that is broken (its own
    problems say why), whose names are then not checked.
    """
    set_id, _, response = name.partition("/")
    if set_id not in sets:
        known = ", ".join(sorted(sets)) or "none"
        return error(pointer, f"response {name!r} names the set {set_id!r}, which is not a "
                              f"responses set of the workspace (sets: {known})", block)
    doc = sets[set_id]
    if doc is None:
        return None
    names = list(doc.get("responses") or {})
    if response in names:
        return None
    close = difflib.get_close_matches(response, names, n=1)
    hint = f" (did you mean {set_id + '/' + close[0]!r}?)" if close else ""
    return error(pointer, f"responses set {set_id!r} has no response {response!r}{hint}", block)


def flow_response_problems(blocks: dict, types: Mapping[str, BlockType | None],
                           sets: Mapping[str, Any]) -> list[Problem]:
    """Return an error for each block naming a response no set of the workspace has."""
    problems = []
    for block_id, block in blocks.items():
        block_type = types.get(block_id)
        if block_type is None or RESPONSE_FIELD not in block_type.raw_fields \
                or not isinstance(block, dict) or not isinstance(block.get("config"), dict):
            continue
        name = block["config"].get(RESPONSE_FIELD)
        if isinstance(name, str) and "/" in name:
            found = reference_problem(join("/blocks", block_id, "config", RESPONSE_FIELD), name,
                                      sets, block_id)
            if found is not None:
                problems.append(found)
    return problems


def bot_response_problems(bot: Any, sets: Mapping[str, Any]) -> list[Problem]:
    """Return an error for each intent of a bot naming a response no set of the workspace has."""
    intents = bot.get("intents") if isinstance(bot, dict) else None
    problems = []
    for name, intent in (intents or {}).items():
        response = intent.get("response") if isinstance(intent, dict) else None
        if isinstance(response, str) and "/" in response:
            found = reference_problem(join("/intents", name, "response"), response, sets)
            if found is not None:
                problems.append(found)
    return problems
