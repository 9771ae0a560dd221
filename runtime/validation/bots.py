"""Bots: a bot file's problems, and a flow's references to bots and their intents."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any, Mapping

from jsonschema import Draft202012Validator

import schemas
from blocks.registry import BlockType
from blocks.sdk.templates import is_template

from .problem import Problem, error, join, ordered, warning
from .schema import SchemaCheck

BOT_KIND = "callwright/bot@1"
# a manifest names the config field that holds a bot id; that bot's intents are its exits too
INTENT_EXITS = "intent_exits"
# the fields of an entity that only one kind of entity has
KIND_FIELDS = {"min_length": "digits", "max_length": "digits", "minimum": "number",
               "maximum": "number", "values": "list"}
_PUNCTUATION = re.compile(r"[\W_]+")


@cache
def bot_check() -> SchemaCheck:
    """Return the check of a bot document, built once and reused."""
    return SchemaCheck(Draft202012Validator(schemas.load("bot")))


def validate_bot(doc: Any) -> list[Problem]:
    """Return every problem of a bot document, sorted by pointer then message.

    Errors: the schema, digits entities whose lengths cross. Warnings: two intents (or one
    intent twice) sharing an example, an intent with no example in a language the bot
    declares, examples or keywords in a language it does not declare.
    """
    problems = bot_check().problems(doc)
    if problems or not isinstance(doc, dict):
        return ordered(problems)
    languages = doc["languages"]
    for name, intent in doc["intents"].items():
        base = join("/intents", name)
        for language in languages:
            if not intent["examples"].get(language):
                problems.append(warning(join(base, "examples"),
                                        f"intent {name!r} has no example in {language!r}, a "
                                        "language the bot declares: messages in it can match "
                                        "only its keywords"))
        for part in ("examples", "keywords"):
            for language in intent.get(part, {}):
                if language not in languages:
                    problems.append(warning(join(base, part, language),
                                            f"{language!r} is not one of the bot's languages "
                                            f"({', '.join(languages)}): these {part} are never "
                                            "used"))
    problems.extend(_shared_examples(doc["intents"]))
    for name, entity in (doc.get("entities") or {}).items():
        for field, kind in KIND_FIELDS.items():
            if field in entity and entity["kind"] != kind:
                problems.append(error(join("/entities", name, field),
                                      f"{field} is for {kind} entities; this one is "
                                      f"{entity['kind']!r}"))
        low, high = entity.get("min_length"), entity.get("max_length")
        if low is not None and high is not None and low > high:
            problems.append(error(join("/entities", name, "min_length"),
                                  f"min_length {low} is more than max_length {high}"))
        low, high = entity.get("minimum"), entity.get("maximum")
        if low is not None and high is not None and low > high:
            problems.append(error(join("/entities", name, "minimum"),
                                  f"minimum {low} is more than maximum {high}"))
    return ordered(problems)


def example_key(text: str) -> str:
    """Return what two examples share when they are the same words: case, `ё`, punctuation aside."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def _shared_examples(intents: dict) -> list[Problem]:
    """Return a warning at each of two places holding the same example (after normalising)."""
    first: dict[tuple[str, str], tuple[str, str, str]] = {}  # -> (pointer, intent, text)
    problems = []
    for name, intent in intents.items():
        for language, examples in intent["examples"].items():
            for index, text in enumerate(examples):
                here = (join("/intents", name, "examples", language, index), name, text)
                there = first.setdefault((language, example_key(text)), here)
                if there is not here:
                    problems.append(_shared(here, there))
                    problems.append(_shared(there, here))
    return problems


def _shared(here: tuple[str, str, str], there: tuple[str, str, str]) -> Problem:
    """Return the warning at one of two places holding the same example."""
    owner = f"intent {there[1]!r}" if there[1] != here[1] else "this intent"
    return warning(here[0], f"example {here[2]!r} is also an example of {owner} at {there[0]}: "
                            "a message like it cannot tell them apart")


def intent_exits(bot: Mapping[str, Any]) -> list[str]:
    """Return the exits a bot's intents add to a `bot` block: those without a response."""
    intents = bot.get("intents") if isinstance(bot, Mapping) else None
    if not isinstance(intents, Mapping):
        return []
    return [name for name, intent in intents.items()
            if isinstance(intent, Mapping) and "response" not in intent]


def bot_reference(block: Any, block_type: BlockType | None) -> str | None:
    """Return the bot id a block names in its intent-exits field, None when none or a template."""
    if block_type is None or not isinstance(block, dict):
        return None
    field = block_type.manifest.get(INTENT_EXITS)
    config = block.get("config")
    value = config.get(field) if field and isinstance(config, dict) else None
    return value if isinstance(value, str) and not is_template(value) else None


def bot_problems(blocks: dict, types: Mapping[str, BlockType | None],
                 bots: Mapping[str, Any]) -> list[Problem]:
    """Return errors for blocks naming an unknown bot and exits naming no intent of their bot.

    `bots` maps bot ids to documents; None stands for a bot file that is broken (its own
    problems say why), whose intents are then not checked.
    """
    problems = []
    for block_id, block in blocks.items():
        block_type = types.get(block_id)
        bot_id = bot_reference(block, block_type)
        if bot_id is None:
            continue
        field = block_type.manifest[INTENT_EXITS]
        if bot_id not in bots:
            known = ", ".join(sorted(bots)) or "none"
            problems.append(error(join("/blocks", block_id, "config", field),
                                  f"bot {bot_id!r} is not a bot of the workspace (bots: {known})",
                                  block_id))
            continue
        if bots[bot_id] is None or not isinstance(block.get("exits"), dict):
            continue
        problems.extend(_exit_problems(block_id, block, block_type, bot_id, bots[bot_id]))
    return problems


def _exit_problems(block_id: str, block: dict, block_type: BlockType, bot_id: str,
                   bot: Mapping[str, Any]) -> list[Problem]:
    """Return an error for each exit of a bot block that is neither its own nor an intent's."""
    config = block.get("config")
    fixed = block_type.exits_for(config if isinstance(config, dict) else {})
    intents = bot.get("intents") or {}
    declared = [*fixed, *intent_exits(bot)]
    problems = []
    for name in block["exits"]:
        if name in declared:
            continue
        pointer = join("/blocks", block_id, "exits", name)
        if name in intents:
            message = (f"intent {name!r} of bot {bot_id!r} has a response: the block says it and "
                       "takes 'answered'")
        else:
            message = (f"bot {bot_id!r} has no intent {name!r} (the block's exits: "
                       f"{', '.join(declared)})")
        problems.append(error(pointer, message, block_id))
    return problems
