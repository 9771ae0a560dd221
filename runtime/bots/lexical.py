"""The lexical matcher: keywords, typo-tolerant words, character n-grams and stems, offline.

For each language of a bot the index holds its examples as TF-IDF vectors of two kinds: the
character n-grams (2 to 4) of each word padded with spaces, the features small offline bots such
as Rasa's baseline rely on for typos and inflected forms, and the Snowball stems of the words,
which make `потерял карту` meet `потеряла карты`. A message's words unknown to the bot are first
corrected to the closest word of its vocabulary one edit away (rapidfuzz), and the whole message
is also compared with each example by edit similarity, and with all of an intent's examples
taken together (a paraphrase may borrow from two of them). The TF-IDF part is a small sparse
cosine over inverted lists of our own (numpy arrays summed with `bincount`) rather than
scikit-learn's TfidfVectorizer: the index of a bot is a few hundred short examples, scikit-learn
would add scipy (~40 MB) and its per-call input checks cost more than the whole match here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .calibration import confidence
from .matcher import Candidate, Matcher, Query
from .text import Text, read, stem, stems

# how much each similarity counts in an example's score (they sum to 1)
CHAR_WEIGHT = 0.4
STEM_WEIGHT = 0.35
EDIT_WEIGHT = 0.25
# a keyword found in a message closes this share of the gap between its intent's score and 1
KEYWORD_PULL = 0.6
# how much the similarity to all of an intent's examples together counts beside its best example
INTENT_WEIGHT = 0.4
# a word of at least this many letters that the bot does not know is corrected to a vocabulary
# word one typo away (a letter added, dropped, changed, or two swapped: optimal string alignment);
# two typos away already turn `забронируйте` into `заблокируйте`
CORRECTION_MIN_LENGTH = 5
CORRECTION_DISTANCE = 1
CANDIDATES = 3
# a keyword word this long also matches the words it begins
KEYWORD_PREFIX = 4


@dataclass
class _Index:
    """One language's examples and keywords of a bot, ready to match against."""

    intents: list[str] = field(default_factory=list)  # the intent of each example
    normals: list[str] = field(default_factory=list)  # each example's normalised text
    exact: dict[str, str] = field(default_factory=dict)  # normalised example -> intent
    # each intent's examples are consecutive: where each intent's run starts, and its name
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))
    owners: list[str] = field(default_factory=list)
    chars: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    char_idf: dict[str, float] = field(default_factory=dict)
    stems: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    stem_idf: dict[str, float] = field(default_factory=dict)
    # the same features of each intent's examples taken together (IDF over intents)
    intent_chars: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    intent_char_idf: dict[str, float] = field(default_factory=dict)
    intent_stems: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    intent_stem_idf: dict[str, float] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    words_by_length: dict[int, list[str]] = field(default_factory=dict)
    stem_set: set[str] = field(default_factory=set)
    # each keyword phrase's words with their stems, by intent; and the phrases by the stem and by
    # the word (as written) they start with
    keywords: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    keywords_by_stem: dict[str, list[int]] = field(default_factory=dict)
    keywords_by_word: dict[str, list[int]] = field(default_factory=dict)


class LexicalMatcher(Matcher):
    """Matches by keywords, corrected typos, character n-grams, stems and edit similarity."""

    def __init__(self, bot: Mapping[str, Any]) -> None:
        super().__init__(bot)
        self._indexes = {language: _build(bot, language) for language in bot["languages"]}

    def vocabulary(self, language: str) -> frozenset[str]:
        index = self._indexes.get(language)
        return frozenset(index.words) if index is not None else frozenset()

    def match(self, query: Query) -> list[Candidate]:
        if not query.text.words:
            return []
        if query.language is not None:
            if query.language not in self._indexes:
                return []
            languages = [query.language]
        else:
            languages = list(self._indexes)
        scores: dict[str, float] = {}
        for language in languages:
            for intent, score in _scores(self._indexes[language], query.text).items():
                if score > scores.get(intent, 0.0):
                    scores[intent] = score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if not ranked:
            return []
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        top = confidence(ranked[0][1], second)
        out = [Candidate(ranked[0][0], top)]
        for intent, score in ranked[1:CANDIDATES]:
            out.append(Candidate(intent, min(top, confidence(score, ranked[0][1]))))
        return out


def _build(bot: Mapping[str, Any], language: str) -> _Index:
    """Return the index of one language of a bot."""
    index = _Index()
    char_docs: list[dict[str, float]] = []
    stem_docs: list[dict[str, float]] = []
    starts: list[int] = []
    for intent, spec in bot["intents"].items():
        for example in spec["examples"].get(language, ()):
            text = read(example)
            if not text.words:
                continue
            if not index.owners or index.owners[-1] != intent:
                starts.append(len(index.intents))
                index.owners.append(intent)
            index.intents.append(intent)
            index.normals.append(" ".join(text.words))
            index.exact.setdefault(" ".join(text.words), intent)
            index.words.update(text.words)
            char_docs.append(_counts(_char_grams(text.words)))
            stem_docs.append(_counts(stems(text.words)))
        for keyword in spec.get("keywords", {}).get(language, ()):
            words = read(keyword).words
            if words:
                index.words.update(words)
                phrase = tuple(zip(words, stems(words)))
                index.keywords_by_stem.setdefault(phrase[0][1], []).append(len(index.keywords))
                index.keywords_by_word.setdefault(phrase[0][0], []).append(len(index.keywords))
                index.keywords.append((intent, phrase))
    index.starts = np.array(starts, dtype=np.intp)
    index.char_idf, index.chars = _postings(char_docs)
    index.stem_idf, index.stems = _postings(stem_docs)
    ends = [*starts[1:], len(index.intents)]
    index.intent_char_idf, index.intent_chars = _postings(
        [_merged(char_docs[a:b]) for a, b in zip(starts, ends)])
    index.intent_stem_idf, index.intent_stems = _postings(
        [_merged(stem_docs[a:b]) for a, b in zip(starts, ends)])
    index.stem_set = {stem(word) for word in index.words}
    for word in sorted(index.words):
        index.words_by_length.setdefault(len(word), []).append(word)
    return index


def _char_grams(words: Iterable[str]) -> list[str]:
    """Return the character 2- to 4-grams of each word padded with a space on either side."""
    grams = []
    for word in words:
        padded = f" {word} "
        for n in (2, 3, 4):
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


def _counts(items: Iterable[str]) -> dict[str, float]:
    """Return how often each item occurs."""
    counts: dict[str, float] = defaultdict(float)
    for item in items:
        counts[item] += 1.0
    return counts


def _merged(docs: list[dict[str, float]]) -> dict[str, float]:
    """Return the counts of several documents added up."""
    total: dict[str, float] = defaultdict(float)
    for doc in docs:
        for feature, count in doc.items():
            total[feature] += count
    return total


def _postings(docs: list[dict[str, float]]) -> tuple[dict[str, float],
                                                     dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Return the smoothed IDF of each feature and its inverted list: (documents, weights).

    Weights are sublinear TF times IDF, each document's vector scaled to length 1.
    """
    total = len(docs)
    frequency: dict[str, int] = defaultdict(int)
    for doc in docs:
        for feature in doc:
            frequency[feature] += 1
    idf = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in frequency.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for number, doc in enumerate(docs):
        weights = {f: (1.0 + math.log(tf)) * idf[f] for f, tf in doc.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for feature, weight in weights.items():
            postings[feature].append((number, weight / norm))
    return idf, {feature: (np.array([n for n, _ in entries], dtype=np.intp),
                           np.array([w for _, w in entries], dtype=np.float64))
                 for feature, entries in postings.items()}


def _cosines(features: dict[str, float], idf: dict[str, float],
             postings: dict[str, tuple[np.ndarray, np.ndarray]], size: int) -> np.ndarray:
    """Return the cosine of a message's features with every document of an index."""
    unseen = math.log(1 + size) + 1.0  # a feature no example has: rarest of all
    weights = {f: (1.0 + math.log(tf)) * idf.get(f, unseen) for f, tf in features.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    numbers, products, scales = [], [], []
    for feature, weight in weights.items():
        found = postings.get(feature)
        if found is not None:
            numbers.append(found[0])
            products.append(found[1])
            scales.append(weight / norm)
    if not numbers:
        return np.zeros(size)
    # one multiplication for all the lists: numpy's cost is per call, not per element
    lengths = [len(n) for n in numbers]
    products = np.concatenate(products) * np.repeat(scales, lengths)
    return np.bincount(np.concatenate(numbers), products, minlength=size)


def _correct(index: _Index, words: tuple[str, ...]) -> tuple[str, ...]:
    """Return the words with each one unknown to the bot replaced by its closest known word."""
    out = []
    for word in words:
        if word in index.words or len(word) < CORRECTION_MIN_LENGTH \
                or stem(word) in index.stem_set:
            out.append(word)
            continue
        near = [w for n in range(len(word) - CORRECTION_DISTANCE,
                                 len(word) + CORRECTION_DISTANCE + 1)
                for w in index.words_by_length.get(n, ())]
        best = process.extractOne(word, near, scorer=OSA.distance,
                                  score_cutoff=CORRECTION_DISTANCE)
        out.append(best[0] if best else word)
    return tuple(out)


def _scores(index: _Index, text: Text) -> dict[str, float]:
    """Return the raw score in [0, 1] of each intent of one language for a message."""
    size = len(index.intents)
    words = _correct(index, text.words)
    normal = " ".join(words)
    scores: dict[str, float] = {}
    exact = index.exact.get(normal)
    if exact is not None:
        scores[exact] = 1.0
    if size:
        char_counts, stem_counts = _counts(_char_grams(words)), _counts(stems(words))
        chars = _cosines(char_counts, index.char_idf, index.chars, size)
        stemmed = _cosines(stem_counts, index.stem_idf, index.stems, size)
        similar = process.cdist([normal], index.normals, scorer=fuzz.ratio, dtype=np.float64,
                                workers=1)[0] / 100.0
        combined = CHAR_WEIGHT * chars + STEM_WEIGHT * stemmed + EDIT_WEIGHT * similar
        owners = len(index.owners)
        whole = (CHAR_WEIGHT * _cosines(char_counts, index.intent_char_idf, index.intent_chars,
                                        owners)
                 + (STEM_WEIGHT + EDIT_WEIGHT) * _cosines(stem_counts, index.intent_stem_idf,
                                                          index.intent_stems, owners))
        best = np.maximum.reduceat(combined, index.starts)
        mixed = (1.0 - INTENT_WEIGHT) * best + INTENT_WEIGHT * whole
        for intent, score in zip(index.owners, mixed):
            if score > scores.get(intent, 0.0):
                scores[intent] = min(float(score), 1.0)
    # two keywords of one intent are no surer than one
    for intent in sorted({index.keywords[k][0] for k in _keywords_found(index, words)}):
        score = scores.get(intent, 0.0)
        scores[intent] = score + (1.0 - score) * KEYWORD_PULL
    return scores


def _keywords_found(index: _Index, words: tuple[str, ...]) -> set[int]:
    """Return the keyword phrases that occur in a message, their words in order."""
    sequence = tuple(zip(words, stems(words)))
    found = set()
    for start, (word, word_stem) in enumerate(sequence):
        candidates = list(index.keywords_by_stem.get(word_stem, ()))
        for end in range(KEYWORD_PREFIX, len(word) + 1):  # keywords this word begins with
            candidates.extend(index.keywords_by_word.get(word[:end], ()))
        for number in candidates:
            phrase = index.keywords[number][1]
            if len(phrase) <= len(sequence) - start and all(
                    _same_word(sequence[start + k], phrase[k]) for k in range(len(phrase))):
                found.add(number)
    return found


def _same_word(said: tuple[str, str], keyword: tuple[str, str]) -> bool:
    """Return True when a message's word is a keyword's word: the same stem, or the keyword as
    written begins it (Snowball stems `кредит` to `кред` but `кредиты` to `кредит`)."""
    return said[1] == keyword[1] or (len(keyword[0]) >= KEYWORD_PREFIX
                                     and said[0].startswith(keyword[0]))
