"""Entities: digits (an account number), a number, a value from a list with its synonyms."""

from __future__ import annotations

import re
from typing import Any, Mapping

from rapidfuzz import fuzz

from .text import Text, normalise, stems

# digits may come in groups: "1234 5678", "1234-5678"
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
_NUMBER = re.compile(r"(?<![\d.,])[-+]?\d+(?:[.,]\d+)?(?![\d])")
# a synonym's word of this many letters or more also matches one typo away (rapidfuzz ratio)
_FUZZY_LENGTH = 5
_FUZZY_CUTOFF = 85


class Entities:
    """A bot's entities, compiled once per bot version; `extract` picks them out of a message."""

    def __init__(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        self.specs = dict(specs)
        # list entities: each value's phrases as stem sequences, the value name itself included
        self._phrases = {name: [(value, stems(tuple(normalise(p).split())))
                                for value, synonyms in spec["values"].items()
                                for p in (value, *synonyms) if normalise(p)]
                         for name, spec in self.specs.items() if spec["kind"] == "list"}

    def extract(self, text: Text) -> dict[str, Any]:
        """Return the value of every entity found in a message, by entity name."""
        found: dict[str, Any] = {}
        for name, spec in self.specs.items():
            kind = spec["kind"]
            if kind == "digits":
                value = _digits(text.raw, spec)
            elif kind == "number":
                value = _number(text.raw, spec)
            else:
                value = self._listed(name, text)
            if value is not None:
                found[name] = value
        return found

    def _listed(self, name: str, text: Text) -> str | None:
        """Return the value of a list entity whose phrase comes first in the message."""
        words = stems(text.words)
        best: tuple[int, str] | None = None
        for value, phrase in self._phrases[name]:
            at = _find(words, phrase)
            if at is not None and (best is None or at < best[0]):
                best = (at, value)
        return best[1] if best else None


def _digits(raw: str, spec: Mapping[str, Any]) -> str | None:
    """Return the first run of digits whose length the entity allows."""
    low, high = spec.get("min_length", 1), spec.get("max_length", 64)
    for match in _DIGIT_RUN.finditer(raw):
        digits = re.sub(r"\D", "", match.group())
        if low <= len(digits) <= high:
            return digits
    return None


def _number(raw: str, spec: Mapping[str, Any]) -> int | float | None:
    """Return the first number in bounds (a decimal comma counts as a point)."""
    for match in _NUMBER.finditer(raw):
        text = match.group().replace(",", ".")
        value = float(text) if "." in text else int(text)
        if spec.get("minimum", value) <= value <= spec.get("maximum", value):
            return value
    return None


def _find(words: tuple[str, ...], phrase: tuple[str, ...]) -> int | None:
    """Return where a phrase's stems first occur in a message's stems (a long word may have a
    typo), or None."""
    n = len(phrase)
    for start in range(len(words) - n + 1):
        if all(_same(words[start + i], phrase[i]) for i in range(n)):
            return start
    return None


def _same(word: str, wanted: str) -> bool:
    """Return True when two stems are one word, allowing a typo in a long one."""
    if word == wanted:
        return True
    return len(wanted) >= _FUZZY_LENGTH and fuzz.ratio(word, wanted) >= _FUZZY_CUTOFF


