"""A bot compiled for classifying: its matcher's index and its entities, built once per version."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping

from blocks.sdk import Classification, ConfigurationError
from runtime.plugins import plugin
from runtime.validation import has_errors, validate_bot

from .entities import Entities
from .language import detect
from .lexical import LexicalMatcher
from .matcher import Matcher, Query
from .text import read

DEFAULT_MIN_CONFIDENCE = 0.5
# compiled bot versions kept in memory, shared by every workspace of the process
CACHED_VERSIONS = 64


class InvalidBot(ValueError):
    """A bot document with errors: it cannot be compiled."""

    def __init__(self, message: str, problems: list) -> None:
        super().__init__(message)
        self.problems = problems


def bot_version(doc: Mapping[str, Any]) -> str:
    """Return the content hash naming this version of a bot (independent of file formatting)."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Bot:
    """One version of a bot, ready to classify messages; shared by every session using it."""

    id: str
    version: str
    doc: Mapping[str, Any]
    matcher: Matcher
    entities: Entities

    @property
    def languages(self) -> list[str]:
        """Return the languages the bot declares."""
        return list(self.doc["languages"])

    @property
    def intents(self) -> list[str]:
        """Return the names of the bot's intents."""
        return list(self.doc["intents"])

    @property
    def min_confidence(self) -> float:
        """Return the bot's own confidence threshold."""
        return float(self.doc.get("min_confidence", DEFAULT_MIN_CONFIDENCE))

    def classify(self, message: str, language: str | None = None) -> Classification:
        """Return what a message means to this bot; `language` is the session's, a hint only."""
        text = read(message)
        detected, declared = detect(text, self.languages, self.matcher.vocabulary, language)
        candidates = self.matcher.match(Query(text, detected)) if declared else []
        best = candidates[0] if candidates else None
        intent = best.intent if best else None
        response = self.doc["intents"][intent].get("response") if intent else None
        return Classification(intent=intent, confidence=best.confidence if best else 0.0,
                              text=text.raw, language=detected,
                              entities=self.entities.extract(text),
                              response=response, min_confidence=self.min_confidence,
                              declared=declared)


MATCHERS = "callwright.matchers"  # the entry point group of matchers from other packages
DEFAULT_MATCHER = "lexical"


def matcher_for(settings: Mapping[str, Any]) -> type[Matcher]:
    """Return the matcher class a workspace's `[bots] matcher` names (default: lexical).

    Raise ConfigurationError for a name no installed package provides, or not a Matcher.
    """
    name = str((settings.get("bots") or {}).get("matcher") or DEFAULT_MATCHER)
    found = plugin(MATCHERS, name, {DEFAULT_MATCHER: LexicalMatcher}, "[bots] matcher")
    if not (isinstance(found, type) and issubclass(found, Matcher)):
        raise ConfigurationError(f"[bots] matcher = {name!r} is not a runtime.bots.Matcher "
                                 f"subclass but {found!r}")
    return found


def compile_bot(doc: Any, matcher: type[Matcher] = LexicalMatcher) -> Bot:
    """Return a bot document compiled, reusing the compiled version when it was built before.

    Raise InvalidBot listing the errors of a document that does not validate.
    """
    version = bot_version(doc) if isinstance(doc, Mapping) else ""
    key = (version, matcher)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    problems = validate_bot(doc)
    if has_errors(problems):
        errors = [p for p in problems if p.is_error]
        raise InvalidBot(f"bot has {len(errors)} error(s): {errors[0]}", errors)
    bot = Bot(id=doc["id"], version=version, doc=doc, matcher=matcher(doc),
              entities=Entities(doc.get("entities") or {}))
    with _lock:
        _cache[key] = bot
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)
    return bot


_cache: OrderedDict[tuple[str, type], Bot] = OrderedDict()
_lock = threading.Lock()
