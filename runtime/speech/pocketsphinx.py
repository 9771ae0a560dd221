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

Two things the ratio alone misses. A grammar search keeps the best path at the last frame even
when that path stopped inside a phrase ("what" of "what is my balance" for a spoken "balance"):
then the best whole phrase of the lattice's n-best list is the answer. And a sentence that merely
contains a phrase ("I would like to OPEN an account") fits the phrase well where it is said and
leaves the rest of the speech to the silence model: the share of loud frames the phrase's words
do not cover lowers the confidence, to nothing at UNEXPLAINED_ZERO.

Decoders load the acoustic model once each; a few are kept (one per worker) and each compiles a
grammar once, the first time it is asked for, and keeps it (least recently used out first).
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .accents import non_rhotic
from .endpoint import frame_levels
from .grammar import DIGIT_WORDS, Grammar
from .recognizer import DEFAULT_THRESHOLD, RATE, Recognition, Recognizer, SpeechUnavailable

log = logging.getLogger(__name__)
PIN = "pocketsphinx==5.1.1"
MODEL_RATE = 16000
PAD_S = 0.25  # quiet added before and after an utterance
# noise (in 16-bit steps, about -61 dBFS) added under the whole utterance: the floor of a line,
# which the model's training recordings always had and synthetic or digitally quiet audio lacks
# (benchmarks/speech.py: 8 gave 90% of the menus' phrases, 30 gives 92.5%; clean prompts 85 -> 96%)
DITHER = 30.0
SEARCHES = 64  # grammars a decoder keeps compiled
WORKERS = 2  # decoders, and so recognitions running at once
TRIM_FRAME = 160  # 20 ms at 8 kHz
TRIM_LEVEL = 300.0  # RMS under which a frame is quiet (as the endpointer's MIN_LEVEL)
TRIM_SHARE = 0.05  # ... or under this share of the loudest frame's RMS
TRIM_MARGIN = 5  # frames of quiet kept either side of the speech (100 ms)
LOOP = "_phones"  # the search of the free phone loop the grammar is compared with
CENTER = -26.0  # the per-frame log-likelihood ratio given confidence 0.5 (benchmarks/speech.py)
SCALE = 3.0  # how many ratio units take the confidence from 0.5 to 0.73
NBEST = 20  # paths of the lattice searched for a whole phrase when the best one stopped inside
DECODER_FRAME = 160  # samples of a decoder frame (10 ms at 16 kHz)
LOUD_SHARE = 0.1  # a frame this share of the loudest frame's level (and TRIM_LEVEL) is speech
UNEXPLAINED_FREE = 0.2  # speech the phrase leaves unexplained without costing confidence ...
UNEXPLAINED_ZERO = 0.4  # ... and the share at which its confidence is 0 (benchmarks/speech.py)


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

    def __init__(self, model: Path, dictionary: Path, *, accents: bool) -> None:
        ps = _module()
        self.decoder = ps.Decoder(hmm=str(model), dict=str(dictionary), lm=None,
                                  samprate=MODEL_RATE, loglevel="FATAL")
        self.decoder.add_allphone_file(LOOP, None)  # None: a uniform loop of every phone
        self.logmath = self.decoder.get_logmath()
        self.searches: OrderedDict[str, dict[str, str] | None] = OrderedDict()
        self.active = ""
        self.accents = accents
        self.accented: set[str] = set()  # words given their other accents' pronunciations

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
            if self.accents:
                for word in {w for said in phrases for w in said.split()}:
                    self._accented(word)
            rule = " | ".join(f"( {said} )" for said in sorted(phrases))
        self.decoder.add_jsgf_string(name, f"#JSGF V1.0;\ngrammar g;\npublic <s> = {rule} ;\n")
        return phrases

    def _accented(self, word: str) -> None:
        """Add the non-rhotic form of each of a word's pronunciations as an alternative
        ("card(3)")."""
        if word in self.accented:
            return
        self.accented.add(word)
        said = []
        while (phones := self.decoder.lookup_word(
                word if not said else f"{word}({len(said) + 1})")) is not None:
            said.append(phones)
        for phones in list(said):
            other = non_rhotic(phones)
            if other not in said:
                said.append(other)
                self.decoder.add_word(f"{word}({len(said)})", other, False)

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

    def _score(self, hyp: Any) -> float | None:
        # the bindings give a score as exp(log score): 0 when it underflowed
        return None if hyp is None or hyp.score <= 0 else float(self.logmath.log(hyp.score))

    def _whole_phrase(self, phrases: dict[str, str], audio: bytes) -> tuple[str, float | None]:
        """Return the lattice's best whole phrase and its score, aligned to the audio so that
        the decoder's segments are that phrase's ("" when no path of the n-best is one)."""
        d = self.decoder
        for hyp in itertools.islice(d.nbest(), NBEST):
            if hyp is not None and hyp.hypstr in phrases:
                heard, score = hyp.hypstr, self._score(hyp)
                break
        else:
            return "", None
        d.set_align_text(heard)
        d.start_utt()
        d.process_raw(audio, full_utt=True)
        d.end_utt()
        return (heard, score) if d.hyp() is not None else ("", None)

    def decode(self, audio: bytes) -> Evidence:
        """Return the grammar's phrase heard in 16 kHz audio, the likelihood ratio per frame of
        its path against the free phone loop (-inf when no phrase fits), and the share of the
        loud frames its words leave to silence."""
        heard, score, frames = self._pass(self.active, audio)
        phrases = self.searches[self.active]
        if phrases and heard not in phrases:  # the best path stopped inside a phrase
            heard, score = self._whole_phrase(phrases, audio)
        if not heard or score is None:
            return Evidence("", -math.inf, 1.0)
        unexplained = unexplained_share(self.decoder.seg(), audio)
        _, loop, _ = self._pass(LOOP, audio)
        if loop is None:
            return Evidence(heard, -math.inf, unexplained)
        return Evidence(heard, (score - loop) / max(frames, 1), unexplained)


class Evidence(NamedTuple):
    """What a decoder found: the phrase (as heard), its likelihood ratio per frame against the
    phone loop, and the share of the speech its words leave unexplained."""

    text: str
    ratio: float
    unexplained: float

    def confidence(self, center: float = CENTER) -> float:
        """Return how sure the phrase is, in [0, 1] (`center`: the ratio given 0.5)."""
        if not self.text or self.ratio == -math.inf:
            return 0.0
        return confidence(self.ratio, self.unexplained, center)


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
            made = _Decoder(self.model, self.dictionary, accents=self.language == "en")
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

    def scored(self, pcm: bytes, grammar: Grammar) -> Evidence:
        """Return what confidence is made of: the grammar's phrase heard (as the flow wrote it,
        "" for none), its likelihood ratio against the free phone loop (-inf when no phrase
        fits) and the share of the speech it leaves unexplained."""
        audio = prepared(pcm)
        decoder = self._take()
        try:
            if decoder.search(grammar) is None:
                return Evidence("", -math.inf, 1.0)
            found = decoder.decode(audio)
        finally:
            self._idle.put(decoder)
        return found._replace(text=grammar.text_of(found.text))

    def recognize(self, pcm: bytes, grammar: Grammar) -> Recognition:
        found = self.scored(pcm, grammar)
        return Recognition(found.text, round(found.confidence(), 3))

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()


def confidence(ratio: float, unexplained: float = 0.0, center: float = CENTER) -> float:
    """Return a per-frame log-likelihood ratio, and the share of the speech the phrase leaves
    unexplained, as a confidence in [0, 1]."""
    fit = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, (ratio - center) / SCALE))))
    covered = (UNEXPLAINED_ZERO - unexplained) / (UNEXPLAINED_ZERO - UNEXPLAINED_FREE)
    return fit * min(1.0, max(0.0, covered))


def unexplained_share(segments: Any, audio: bytes) -> float:
    """Return the share of the loud frames of 16 kHz audio that no word of a decoded path
    covers (fillers, silence, no segment at all)."""
    levels = frame_levels(np.frombuffer(audio, dtype="<i2"), DECODER_FRAME)
    if len(levels) == 0:
        return 1.0
    loud = levels >= max(TRIM_LEVEL, LOUD_SHARE * float(levels.max()))
    words = np.zeros(len(levels), dtype=bool)
    for segment in segments or ():
        if not segment.word.startswith(("<", "[", "+")):  # fillers: <sil>, [NOISE], +breath+
            words[segment.start_frame:segment.end_frame + 1] = True
    return float(np.count_nonzero(loud & ~words)) / max(1, int(np.count_nonzero(loud)))


def trimmed(samples: np.ndarray) -> np.ndarray:
    """Return 8 kHz samples without the quiet before and after the speech (a margin kept).

    The endpointer's pre-roll and hangover are a second of quiet; the ratio is per frame, so
    the same word must not score differently with more or less quiet around it.
    """
    levels = frame_levels(samples, TRIM_FRAME)
    frames = len(levels)
    if frames == 0:
        return samples
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
