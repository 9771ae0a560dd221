"""The matcher: the extension point of intent matching (lexical today; embeddings may plug in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .text import Text


@dataclass(frozen=True, slots=True)
class Query:
    """A message to match: its text, and the bot language it is in (None: try every language)."""

    text: Text
    language: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An intent a message may mean, with the matcher's confidence in [0, 1]."""

    intent: str
    confidence: float


class Matcher:
    """Scores how well a message fits each intent of one bot version.

    A matcher is built once per bot version (`__init__` builds its index from the validated bot
    document) and then shared, read-only, by every session and thread that classifies with that
    version: `match` must not change the matcher and must not load anything.

    Subclasses: `LexicalMatcher` (keywords, typo-tolerant fuzzy matching, character n-gram and
    stem similarity over the examples). An embedding matcher from a package that ships its model
    (never one that downloads at run time) would be another subclass, chosen by configuration.
    """

    def __init__(self, bot: Mapping[str, Any]) -> None:
        """Build the index of a bot document that has passed `validate_bot`."""
        self.bot = bot

    def match(self, query: Query) -> list[Candidate]:
        """Return the intents a message may mean, best first, at most a few.

        Each confidence is in [0, 1] and means the same for every bot, so that one
        `min_confidence` serves them all: a matcher calibrates its raw scores (not a share of
        the bot's intents, which would shrink as a bot grows) and documents how. An empty
        message, or one in no language of the bot, gives no candidate.
        """
        raise NotImplementedError

    def vocabulary(self, language: str) -> frozenset[str]:
        """Return the normalised words of a language's examples and keywords (language detection
        and speech grammars use them)."""
        raise NotImplementedError
