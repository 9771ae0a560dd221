"""What a message is made of, for matching: normalised text, words, stems and its script.

Normalisation is the same for examples and messages: Unicode NFKC (full-width letters, ligatures),
case folded, `ё` read as `е` (Russian writes both for one letter), punctuation and symbols as
spaces. Stems come from the Snowball stemmers (English and Russian), chosen per word by its
script, so `карту`, `карты` and `карта` meet as `карт`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# a message longer than this is matched on its first MAX_INPUT characters: a bot reads what a
# person says in a turn, and a pasted 100 kB text must cost no more than a sentence
MAX_INPUT = 1000
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z\u00c0-\u024f]")
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters
# languages written in Cyrillic; every other language a bot declares is taken as Latin-script
CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg"})
_STEMMERS = {"cyrillic": snowballstemmer.stemmer("russian"),
             "latin": snowballstemmer.stemmer("english")}


@dataclass(frozen=True, slots=True)
class Text:
    """A message or an example as matching sees it."""

    raw: str  # as given (capped at MAX_INPUT characters)
    normal: str  # normalised: words and digits separated by single spaces
    words: tuple[str, ...]  # the normalised words, digits left out


def normalise(text: str) -> str:
    """Return a text normalised for matching (NFKC, case, `ё`, punctuation, spaces)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def read(text: str) -> Text:
    """Return a text capped at MAX_INPUT characters, normalised and split into words."""
    raw = text[:MAX_INPUT]
    normal = normalise(raw)
    return Text(raw, normal, tuple(w for w in normal.split() if not _DIGITS.fullmatch(w)))


def script_of(text: str) -> str | None:
    """Return the script a text is written in (`cyrillic`, `latin`), or None without letters.

    Counted by words, and Cyrillic wins with a third of them: Russian borrows Latin acronyms
    and names ("PIN-код", "SMS с кодом"), English text hardly ever holds a Cyrillic word.
    """
    words = _WORD.findall(text)
    cyrillic = sum(1 for word in words if _CYRILLIC.search(word))
    latin = sum(1 for word in words if not _CYRILLIC.search(word) and _LATIN.search(word))
    if not cyrillic and not latin:
        return None
    return "cyrillic" if cyrillic and 2 * cyrillic >= latin else "latin"


def script_of_language(language: str) -> str:
    """Return the script a language (a primary subtag) is written in."""
    return "cyrillic" if language in CYRILLIC_LANGUAGES else "latin"


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return a normalised word's stem by the Snowball stemmer of its script (cached)."""
    stemmer = _STEMMERS["cyrillic" if _CYRILLIC.search(word) else "latin"]
    return stemmer.stemWord(word)


def stems(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the stem of every word."""
    return tuple(stem(word) for word in words)
