"""PocketSphinx: offline recognition constrained by a JSGF grammar, at the model's 16 kHz.

The US English model ships inside the `pocketsphinx` wheel; other languages name a model folder
and a pronouncing dictionary in `[speech.models.<language>]`. The wheel's model was trained on
16 kHz audio and its feature settings (`feat.params`: filters up to 6.8 kHz) cannot be given 8 kHz
input, so telephone audio is resampled to 16 kHz (soxr) with its upper band empty. A short pad of
quiet goes either side: a grammar search needs silence to enter and leave its phrases.

Confidence is a likelihood ratio. PocketSphinx has no out-of-grammar rejection of its own: a
grammar search always ends on some phrase if it can. So the same audio is also decoded by an
unconstrained loop of phones (every phone may follow every other, no phone language model), and
the grammar path's score is compared with the loop's, per frame: speech that is one of the
phrases scores nearly as well under the grammar as under the free loop, speech that is not (or
noise) much worse. The ratio goes through a logistic curve into [0, 1]; CENTER and SCALE are
measured by benchmarks/speech.py on synthesised in- and out-of-grammar phrases (the posterior of
the lattice and a loop weighted by the phone language model were measured too, and told the two
apart less well). Audio in which no phrase of the grammar can end at all has confidence 0.
Decoders load the acoustic model once each; a few are kept (one per worker) and each compiles a
grammar once, the first time it is asked for, and keeps it (least recently used out first).
"""

from __future__ import annotations

import logging
import math
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
TRIM_FRAME = 160  # 20 ms at 8 kHz
TRIM_LEVEL = 300.0  # RMS under which a frame is quiet (as the endpointer's MIN_LEVEL)
TRIM_SHARE = 0.05  # ... or under this share of the loudest frame's RMS
TRIM_MARGIN = 5  # frames of quiet kept either side of the speech (100 ms)
LOOP = "_phones"  # the search of the free phone loop the grammar is compared with
CENTER = -26.0  # the per-frame log-likelihood ratio given confidence 0.5 (benchmarks/speech.py)
SCALE = 3.0  # how many ratio units take the confidence from 0.5 to 0.73


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
        self.decoder.add_allphone_file(LOOP, None)  # None: a uniform loop of every phone
        self.logmath = self.decoder.get_logmath()
        self.searches: OrderedDict[str, dict[str, str] | None] = OrderedDict()
        self.active = ""

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
        self.active = name
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

    def _pass(self, search: str, audio: bytes) -> tuple[str, float | None, int]:
        """Decode with one search; return its text, its score (log) and the frames decoded."""
        d = self.decoder
        d.activate_search(search)
        d.start_utt()
        d.process_raw(audio, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        if hyp is None or hyp.score <= 0:  # the bindings give the score as exp(log score)
            return (hyp.hypstr if hyp else ""), None, d.n_frames()
        return hyp.hypstr, float(self.logmath.log(hyp.score)), d.n_frames()

    def decode(self, audio: bytes) -> tuple[str, float]:
        """Return the grammar's phrase heard in 16 kHz audio and the likelihood ratio per frame
        of the grammar's path against the free phone loop (-inf when no phrase fits)."""
        heard, score, frames = self._pass(self.active, audio)
        if not heard or score is None:
            return "", -math.inf
        _, loop, _ = self._pass(LOOP, audio)
        if loop is None:
            return heard, -math.inf
        return heard, (score - loop) / max(frames, 1)


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

    def scored(self, pcm: bytes, grammar: Grammar) -> tuple[str, float]:
        """Return the grammar's phrase heard ("" for none) and its likelihood ratio per frame
        against the free phone loop (-inf when no phrase fits): what confidence is made of."""
        audio = prepared(pcm)
        decoder = self._take()
        try:
            phrases = decoder.search(grammar)
            if phrases is None:
                return "", -math.inf
            heard, ratio = decoder.decode(audio)
        finally:
            self._idle.put(decoder)
        return grammar.text_of(heard), ratio

    def recognize(self, pcm: bytes, grammar: Grammar) -> Recognition:
        text, ratio = self.scored(pcm, grammar)  # a path that stopped inside a phrase gives ""
        if not text or ratio == -math.inf:
            return Recognition("", 0.0)
        return Recognition(text, round(confidence(ratio), 3))

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()


def confidence(ratio: float) -> float:
    """Return a per-frame log-likelihood ratio as a confidence in [0, 1]."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, (ratio - CENTER) / SCALE))))


def trimmed(samples: np.ndarray) -> np.ndarray:
    """Return 8 kHz samples without the quiet before and after the speech (a margin kept).

    The endpointer's pre-roll and hangover are a second of quiet; the ratio is per frame, so
    the same word must not score differently with more or less quiet around it.
    """
    frames = len(samples) // TRIM_FRAME
    if frames == 0:
        return samples
    levels = np.sqrt(np.mean(samples[:frames * TRIM_FRAME].reshape(frames, TRIM_FRAME) ** 2,
                             axis=1))
    loud = np.flatnonzero(levels >= max(TRIM_LEVEL, TRIM_SHARE * float(levels.max())))
    if len(loud) == 0:
        return samples
    first = max(0, loud[0] - TRIM_MARGIN) * TRIM_FRAME
    last = min(frames, loud[-1] + 1 + TRIM_MARGIN) * TRIM_FRAME
    return samples[first:last]


def prepared(pcm: bytes) -> bytes:
    """Return 8 kHz 16-bit PCM trimmed, padded with quiet and resampled to the model's 16 kHz."""
    import soxr

    samples = trimmed(np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2").astype(np.float32))
    pad = np.zeros(int(PAD_S * RATE), dtype=np.float32)
    samples = np.concatenate([pad, samples, pad])
    samples += np.random.default_rng(len(pcm)).normal(0.0, DITHER, len(samples)).astype(np.float32)
    up = soxr.resample(samples, RATE, MODEL_RATE)
    return np.clip(up, -32768, 32767).astype("<i2").tobytes()
