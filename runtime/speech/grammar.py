"""Grammars: the phrases a waiting block accepts, said aloud.

A menu accepts its options' labels and synonyms, a bot with a prompt its intents' examples and
keywords in the session's language, an `ask` for digits or a number a run of spoken digits.
A grammar maps each phrase as a recogniser hears it (lower case, words only) back to the text
the flow wrote, so that a recognised "opening hours" is the label "Opening hours" again.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_PHRASES = 2000  # a grammar larger than this is a dictation task, not a menu
MAX_WORDS = 12  # words a phrase may have; longer examples are left out of a spoken grammar
DIGIT_WORDS = {"en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"),
               "ru": ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь",
                      "девять")}
_NOT_WORD = re.compile(r"[^\w']+")


def spoken(text: str) -> str:
    """Return a phrase as a recogniser hears it: NFKC, lower case, words separated by one space."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(w.strip("'") for w in _NOT_WORD.sub(" ", text).split() if w.strip("'"))


@dataclass(frozen=True, slots=True)
class Grammar:
    """What a recogniser may hear: phrases (spoken form -> the flow's text), or digits."""

    language: str
    phrases: Mapping[str, str] = field(default_factory=dict)
    digits: bool = False
    max_digits: int = 16

    @property
    def key(self) -> str:
        """Return a name of this grammar's content: equal grammars share one compiled search."""
        text = "\n".join([self.language, str(self.digits), str(self.max_digits),
                          *sorted(self.phrases)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def text_of(self, heard: str) -> str:
        """Return what the flow wrote for a phrase the recogniser heard ("" for nothing)."""
        heard = spoken(heard)
        if not heard:
            return ""
        if self.digits:
            words = DIGIT_WORDS.get(self.language, DIGIT_WORDS["en"])
            index = {w: str(n) for n, w in enumerate(words)} | {"oh": "0"}
            found = [index.get(w) for w in heard.split()]
            return "" if None in found else "".join(found)  # type: ignore[arg-type]
        return self.phrases.get(heard, "")


def primary(language: str | None) -> str:
    """Return a language tag's primary subtag (`en-US` -> `en`); English when there is none."""
    return (language or "en").replace("_", "-").split("-")[0].lower() or "en"


def phrases_of(texts: Iterable[Any]) -> dict[str, str]:
    """Return spoken form -> text for each usable text (the first text of a spoken form wins)."""
    found: dict[str, str] = {}
    for text in texts:
        if not isinstance(text, str):
            continue
        said = spoken(text)
        if said and len(said.split()) <= MAX_WORDS and len(found) < MAX_PHRASES:
            found.setdefault(said, text)
    return found


def grammar_for(ask: Mapping[str, Any], bots: Callable[[str], Any] | None,
                language: str | None) -> Grammar | None:
    """Return the grammar of what an ask event accepts, or None when it takes keys only.

    A choice takes each choice's label and synonyms; `digits` and `number` take spoken digits;
    an ask that names a `bot` takes its examples and keywords in the language (else the bot's
    first). Free text has no grammar: a caller types it, or it is recorded.
    """
    lang = primary(language)
    kind = ask.get("kind", "text")
    if kind == "choice":
        texts: list[Any] = []
        for choice in ask.get("choices") or ():
            texts.append(choice.get("label"))
            texts.extend(choice.get("synonyms") or ())
        phrases = phrases_of(texts)
        return Grammar(lang, phrases) if phrases else None
    if kind in ("digits", "number"):
        return Grammar(lang, digits=True, max_digits=int(ask.get("max_length") or 16))
    bot_id = ask.get("bot")
    if bot_id and bots is not None:
        bot = bots(bot_id)
        if bot is None:
            return None
        doc = bot.doc
        languages = list(doc.get("languages") or [lang])
        use = lang if lang in languages else languages[0]
        texts = []
        for intent in doc.get("intents", {}).values():
            texts.extend((intent.get("examples") or {}).get(use) or ())
            texts.extend((intent.get("keywords") or {}).get(use) or ())
        phrases = phrases_of(texts)
        return Grammar(use, phrases) if phrases else None
    return None
