"""PocketSphinx: offline recognition constrained by a JSGF grammar, at the model's 16 kHz.

The US English model ships inside the `pocketsphinx` wheel; other languages name a model folder
and a pronouncing dictionary in `[speech.models.<language>]`. The wheel's model was trained on
16 kHz audio and its feature settings (`feat.params`: filters up to 6.8 kHz) cannot be given 8 kHz
input, so telephone audio is resampled to 16 kHz (soxr) with its upper band empty. A short pad of
quiet goes either side: a grammar search needs silence to enter and leave its phrases.

Confidence is the posterior probability of the grammar's best path in its lattice (0 when no
phrase of the grammar fits the audio at all, as with most noise and out-of-grammar speech).
Decoders load the acoustic model once each; a few are kept (one per worker) and each compiles a
grammar once, the first time it is asked for, and keeps it (least recently used out first).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .grammar import DIGIT_WORDS, Grammar
from .recognizer import DEFAULT_THRESHOLD, RATE, Recognition, Recognizer, SpeechUnavailable

log = logging.getLogger(__name__)
PIN = "pocketsphinx==5.1.1"
MODEL_RATE = 16000
PAD_S = 0.25  # quiet added before and after an utterance
DITHER = 8.0  # noise (in 16-bit steps) under the pad: all-zero audio has no log energy
SEARCHES = 64  # grammars a decoder keeps compiled
WORKERS = 2  # decoders, and so recognitions running at once


def _module() -> Any:
    try:
        import pocketsphinx
    except ImportError:
        raise SpeechUnavailable(f"speech recognition needs the PocketSphinx engine: pip install "
                                f"{PIN!r} (it ships the US English model)") from None
    return pocketsphinx


def wheel_model() -> tuple[Path, Path]:
    """Return the US English acoustic model folder and dictionary inside the wheel."""
    base = Path(_module().get_model_path()) / "en-us"
    return base / "en-us", base / "cmudict-en-us.dict"


class _Decoder:
    """One PocketSphinx decoder with the grammar searches it has compiled."""

    def __init__(self, model: Path, dictionary: Path) -> None:
        ps = _module()
        self.decoder = ps.Decoder(hmm=str(model), dict=str(dictionary), lm=None,
                                  samprate=MODEL_RATE, loglevel="FATAL")
        self.searches: OrderedDict[str, dict[str, str]] = OrderedDict()

    def known(self, word: str) -> bool:
        return self.decoder.lookup_word(word) is not None

    def search(self, grammar: Grammar) -> dict[str, str] | None:
        """Activate the grammar's search (compiled once); return its phrases, None if none fit."""
        name = "g" + grammar.key
        phrases = self.searches.get(name)
        if phrases is None and name not in self.searches:
            phrases = self._compile(name, grammar)
            self.searches[name] = phrases  # type: ignore[assignment]
            while len(self.searches) > SEARCHES:
                old, _ = self.searches.popitem(last=False)
                self.decoder.remove_search(old)
        self.searches.move_to_end(name)
        if phrases is None:
            return None
        self.decoder.activate_search(name)
        return phrases

    def _compile(self, name: str, grammar: Grammar) -> dict[str, str] | None:
        if grammar.digits:
            words = [w for w in DIGIT_WORDS.get(grammar.language, DIGIT_WORDS["en"])
                     if self.known(w)]
            if not words:
                return None
            rule = f"<digit>+ ;\n<digit> = {' | '.join(words)}"
            phrases: dict[str, str] = {}
        else:
            # a phrase with a word the dictionary cannot pronounce cannot be heard: left out
            phrases = {said: text for said, text in grammar.phrases.items()
                       if all(self.known(w) for w in said.split())}
            left_out = len(grammar.phrases) - len(phrases)
            if left_out:
                log.info("speech grammar: %d phrases have words not in the dictionary",
                         left_out)
            if not phrases:
                return None
            rule = " | ".join(f"( {said} )" for said in sorted(phrases))
        self.decoder.add_jsgf_string(name, f"#JSGF V1.0;\ngrammar g;\npublic <s> = {rule} ;\n")
        return phrases

    def decode(self, audio: bytes) -> tuple[str, float]:
        d = self.decoder
        d.start_utt()
        d.process_raw(audio, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        if hyp is None or not hyp.hypstr:
            return "", 0.0
        return hyp.hypstr, float(hyp.prob)


class PocketSphinx(Recognizer):
    """PocketSphinx with a grammar per wait; `workers` recognitions run at once."""

    def __init__(self, model: Path | None = None, dictionary: Path | None = None, *,
                 language: str = "en", threshold: float = DEFAULT_THRESHOLD,
                 workers: int = WORKERS) -> None:
        if model is None or dictionary is None:
            model, dictionary = wheel_model()
        for what, path in (("model folder", model), ("dictionary", dictionary)):
            if not Path(path).exists():
                raise SpeechUnavailable(f"the PocketSphinx {what} for {language!r} speech, "
                                        f"{path}, does not exist")
        self.model, self.dictionary = Path(model), Path(dictionary)
        self.language = language
        self.threshold = threshold
        self.workers = workers
        self._idle: queue.LifoQueue[_Decoder] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._idle.put(self._decoder())  # a model that does not load fails here, not mid-call

    def _decoder(self) -> _Decoder:
        try:
            made = _Decoder(self.model, self.dictionary)
        except RuntimeError as exc:
            raise SpeechUnavailable(f"PocketSphinx could not load the {self.language!r} model "
                                    f"{self.model} with dictionary {self.dictionary}: {exc}") \
                from None
        self._made += 1
        return made

    def _take(self) -> _Decoder:
        with self._lock:
            if self._idle.empty() and self._made < self.workers:
                return self._decoder()
        return self._idle.get()

    def recognize(self, pcm: bytes, grammar: Grammar) -> Recognition:
        audio = prepared(pcm)
        decoder = self._take()
        try:
            phrases = decoder.search(grammar)
            if phrases is None:
                return Recognition("", 0.0)
            heard, confidence = decoder.decode(audio)
        finally:
            self._idle.put(decoder)
        text = grammar.text_of(heard)
        return Recognition(text, round(min(1.0, max(0.0, confidence)), 3) if text else 0.0)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()


def prepared(pcm: bytes) -> bytes:
    """Return 8 kHz 16-bit PCM padded with quiet and resampled to the model's 16 kHz."""
    import soxr

    samples = np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2").astype(np.float32)
    pad = np.zeros(int(PAD_S * RATE), dtype=np.float32)
    samples = np.concatenate([pad, samples, pad])
    samples += np.random.default_rng(len(pcm)).normal(0.0, DITHER, len(samples)).astype(np.float32)
    up = soxr.resample(samples, RATE, MODEL_RATE)
    return np.clip(up, -32768, 32767).astype("<i2").tobytes()
