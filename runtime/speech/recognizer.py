"""The `Recognizer` base: 8 kHz telephone audio and a grammar in, a phrase and a confidence out."""

from __future__ import annotations

from dataclasses import dataclass

from blocks.sdk import ConfigurationError

from .grammar import Grammar

RATE = 8000  # what the telephone network carries, and what every recogniser is given
DEFAULT_THRESHOLD = 0.5  # below it an utterance is a `nomatch` (benchmarks/speech.py measures it)


class SpeechUnavailable(ConfigurationError):
    """Speech cannot be recognised as configured (no engine, no model for the language)."""


@dataclass(frozen=True, slots=True)
class Recognition:
    """What a recogniser heard: one of the grammar's phrases (as the flow wrote it) or "" for
    nothing it accepts, and how sure it is, in [0, 1]."""

    text: str
    confidence: float

    def accepted(self, threshold: float) -> bool:
        """Say whether this is an answer at a threshold (below it: `nomatch`)."""
        return bool(self.text) and self.confidence >= threshold


class Recognizer:
    """An offline recogniser of one language, constrained by a grammar of phrases.

    `recognize` is given signed 16-bit mono PCM at 8 kHz (one utterance, as voice activity
    detection cut it) and is thread-safe: calls run on worker threads, never on the event loop
    that paces the calls' media. A subclass builds what a grammar needs once and keeps it.
    """

    language: str = "en"
    threshold: float = DEFAULT_THRESHOLD

    def recognize(self, pcm: bytes, grammar: Grammar) -> Recognition:
        """Return the phrase of `grammar` heard in `pcm`, with its confidence."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of models and decoders."""
