"""From a caller's utterance to an answer: the grammar of the wait, the recogniser, the threshold.

Shared by the simulator (`speech:TEXT`, `audio:PATH`) and the SIP backend, so both hear alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from blocks.sdk import Input

from .endpoint import utterance_in
from .engines import recognizer_for
from .grammar import Grammar, grammar_for


class Listening:
    """Recognises utterances against what each wait accepts, under a workspace's settings."""

    def __init__(self, settings: Mapping[str, Any], root: Path | None = None,
                 bots: Callable[[str], Any] | None = None) -> None:
        self.settings = settings
        self.root = root
        self.bots = bots

    def grammar(self, ask: Mapping[str, Any], language: str | None) -> Grammar | None:
        """Return what a wait accepts as speech, None when it takes keys only."""
        return grammar_for(ask, self.bots, language)

    def hear(self, utterance: bytes, ask: Mapping[str, Any], language: str | None) -> Input:
        """Return the answer an utterance (8 kHz PCM, already cut) gives to a wait.

        Under the threshold, or outside the grammar, the answer is empty: a `nomatch`.
        Raise SpeechUnavailable when the language has no recogniser.
        """
        grammar = self.grammar(ask, language)
        if grammar is None:
            return Input("", "speech", 0.0)
        recognizer = recognizer_for(self.settings, grammar.language, self.root)
        heard = recognizer.recognize(utterance, grammar)
        text = heard.text if heard.accepted(recognizer.threshold) else ""
        return Input(text, "speech", heard.confidence)

    def hear_recording(self, pcm: bytes, ask: Mapping[str, Any],
                       language: str | None) -> Input | None:
        """Return the answer of a whole recording: None (noinput) when no one speaks in it."""
        utterance = utterance_in(pcm)
        if utterance is None:
            return None
        return self.hear(utterance, ask, language)
