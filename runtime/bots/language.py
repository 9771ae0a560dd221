"""Which of a bot's languages a message is in: its script first, then its words."""

from __future__ import annotations

from typing import Callable, Sequence

from .text import Text, script_of, script_of_language

# what a message in a script no language of the bot is written in is taken to be
SCRIPT_DEFAULTS = {"cyrillic": "ru", "latin": "en"}


def detect(text: Text, languages: Sequence[str], vocabulary: Callable[[str], frozenset[str]],
           hint: str | None = None) -> tuple[str | None, bool]:
    """Return (the message's language, whether the bot declares it).

    A message without letters (digits only) is in `hint` (the contact's language) when the bot
    declares it, else in no particular language (None, declared). Among declared languages of the
    message's script the one whose examples share most of its words wins (the first declared on
    a tie); when the bot declares none of that script, the script's usual language is returned
    as undeclared.
    """
    script = script_of(text.normal)
    if script is None:
        primary = _primary(hint)
        return (primary if primary in languages else None), True
    candidates = [language for language in languages if script_of_language(language) == script]
    if not candidates:
        return SCRIPT_DEFAULTS[script], False
    if len(candidates) == 1:
        return candidates[0], True
    words = set(text.words)
    return max(candidates, key=lambda language: len(words & vocabulary(language))), True


def _primary(language: str | None) -> str | None:
    """Return the primary subtag of a language tag (`en-US` -> `en`)."""
    if not language:
        return None
    return language.replace("_", "-").split("-")[0].lower()
