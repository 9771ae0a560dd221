"""Bots: intents matched offline in English and Russian, entities, languages, and their tests."""

from .bot import Bot, InvalidBot, bot_version, compile_bot, matcher_for
from .calibration import confidence
from .lexical import LexicalMatcher
from .matcher import Candidate, Matcher, Query
from .text import MAX_INPUT, normalise, read

__all__ = ["MAX_INPUT", "Bot", "Candidate", "InvalidBot", "LexicalMatcher", "Matcher", "Query",
           "bot_version", "compile_bot", "confidence", "matcher_for", "normalise", "read"]
