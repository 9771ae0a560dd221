"""From a caller's utterance to an answer: the grammar of the wait, the recogniser, the threshold.

Shared by the simulator (`speech:TEXT`, `audio:PATH`) and the SIP backend, so both hear alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from blocks.sdk import Input

from .endpoint import steady, utterance_in
from .engines import recognizer_for
from .grammar import Grammar, grammar_for
from .recognizer import SpeechUnavailable
from .workers import RemoteRecognition


class Listening:
    """Recognises utterances against what each wait accepts, under a workspace's settings."""

    def __init__(self, settings: Mapping[str, Any], root: Path | None = None,
                 bots: Callable[[str], Any] | None = None) -> None:
        self.settings = settings
        self.root = root
        self.bots = bots
        self.remote: RemoteRecognition | None = None  # made by `in_workers`

    def in_workers(self) -> Listening:
        """Recognise in worker processes from now on (the voice node: see workers.py)."""
        self.remote = RemoteRecognition(self.settings, self.root)
        return self

    async def unavailable(self, grammar: Grammar) -> str | None:
        """Return why a grammar's language cannot be heard, or None when it can."""
        if self.remote is not None:
            return await self.remote.unavailable(grammar.language)
        try:
            recognizer_for(self.settings, grammar.language, self.root)
        except SpeechUnavailable as exc:
            return str(exc)
        return None

    async def hear_async(self, utterance: bytes, ask: Mapping[str, Any],
                         language: str | None) -> Input:
        """`hear`, in the worker processes when `in_workers` (never blocking the event loop)."""
        grammar = self.grammar(ask, language)
        if grammar is None or steady(utterance):
            return Input("", "speech", 0.0)
        if self.remote is None:
            return self.hear(utterance, ask, language)
        heard, threshold = await self.remote.recognize(utterance, grammar)
        return Input(heard.text if heard.accepted(threshold) else "", "speech", heard.confidence)

    def grammar(self, ask: Mapping[str, Any], language: str | None) -> Grammar | None:
        """Return what a wait accepts as speech, None when it takes keys only."""
        return grammar_for(ask, self.bots, language)

    def hear(self, utterance: bytes, ask: Mapping[str, Any], language: str | None) -> Input:
        """Return the answer an utterance (8 kHz PCM, already cut) gives to a wait.

        Under the threshold, or outside the grammar, the answer is empty: a `nomatch`.
        Raise SpeechUnavailable when the language has no recogniser.
        """
        grammar = self.grammar(ask, language)
        if grammar is None or steady(utterance):  # a hum or a tone is not an answer
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
