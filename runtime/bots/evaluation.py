"""How well a bot understands a file of labelled utterances: what `callwright bot test` prints."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from .bot import Bot

FALLBACK = "fallback"
CONFUSED_SHOWN = 10


class UtterancesError(ValueError):
    """An utterances file that cannot be read as `text,intent` lines."""


@dataclass(frozen=True)
class Utterance:
    """One labelled line: a message and the intent it means (`fallback`: none of the bot's)."""

    text: str
    intent: str
    line: int


@dataclass
class Outcome:
    """The bot's answer to one utterance."""

    utterance: Utterance
    predicted: str
    confidence: float

    @property
    def right(self) -> bool:
        """Return True when the bot answered with the labelled intent."""
        return self.predicted == self.utterance.intent


@dataclass
class Report:
    """Accuracy, per-intent precision and recall, and the most confused pairs."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Return the share of utterances answered right, in [0, 1] (1 for no utterance)."""
        if not self.outcomes:
            return 1.0
        return sum(o.right for o in self.outcomes) / len(self.outcomes)

    def per_intent(self) -> dict[str, dict[str, float | int]]:
        """Return precision, recall and support of every intent labelled or predicted."""
        names = sorted({o.utterance.intent for o in self.outcomes}
                       | {o.predicted for o in self.outcomes})
        table = {}
        for name in names:
            predicted = [o for o in self.outcomes if o.predicted == name]
            labelled = [o for o in self.outcomes if o.utterance.intent == name]
            hits = sum(o.right for o in labelled)
            table[name] = {"precision": round(hits / len(predicted), 4) if predicted else 0.0,
                           "recall": round(hits / len(labelled), 4) if labelled else 0.0,
                           "support": len(labelled)}
        return table

    def confused(self, limit: int = CONFUSED_SHOWN) -> list[dict]:
        """Return the most frequent (labelled, predicted) mistakes, most frequent first."""
        pairs = Counter((o.utterance.intent, o.predicted) for o in self.outcomes if not o.right)
        ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        return [{"intent": intent, "predicted": predicted, "count": count}
                for (intent, predicted), count in ranked[:limit]]

    def as_dict(self) -> dict:
        """Return the JSON form of `callwright bot test --json`."""
        return {"accuracy": round(self.accuracy, 4), "utterances": len(self.outcomes),
                "intents": self.per_intent(), "confused": self.confused(),
                "mistakes": [{"line": o.utterance.line, "text": o.utterance.text,
                              "intent": o.utterance.intent, "predicted": o.predicted,
                              "confidence": o.confidence}
                             for o in self.outcomes if not o.right]}


def read_utterances(path: str | Path, intents: Collection[str] | None = None) -> list[Utterance]:
    """Read a CSV file with a `text,intent` header; raise UtterancesError naming the line.

    With `intents` (the bot's), a label that is none of them nor `fallback` is an error: a typo
    would otherwise count as the bot's mistake. A file without lines is an error too: it would
    pass any accuracy gate.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "intent"} <= set(reader.fieldnames):
                raise UtterancesError(f"{path}: the first line must name the columns text,intent")
            lines = []
            for row in reader:
                text, intent = (row.get("text") or "").strip(), (row.get("intent") or "").strip()
                if not intent:
                    raise UtterancesError(f"{path}:{reader.line_num}: no intent")
                if intents is not None and intent != FALLBACK and intent not in intents:
                    raise UtterancesError(
                        f"{path}:{reader.line_num}: the bot has no intent {intent!r} (it has "
                        f"{', '.join(sorted(intents))}; `{FALLBACK}` for a line it should not "
                        f"understand)")
                lines.append(Utterance(text, intent, reader.line_num))
            if not lines:
                raise UtterancesError(f"{path}: no lines to test, only the header")
            return lines
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UtterancesError(f"{path}: {exc}") from None


def evaluate(bot: Bot, utterances: list[Utterance],
             min_confidence: float | None = None) -> Report:
    """Classify every utterance as a `bot` block would and compare with its label.

    Below the threshold (the bot's own unless given) the answer is `fallback`.
    """
    threshold = bot.min_confidence if min_confidence is None else min_confidence
    report = Report()
    for utterance in utterances:
        result = bot.classify(utterance.text)
        understood = result.intent is not None and result.declared \
            and result.confidence >= threshold
        report.outcomes.append(Outcome(utterance, result.intent if understood else FALLBACK,
                                       result.confidence))
    return report
