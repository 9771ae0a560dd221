"""Where an utterance starts and ends in 8 kHz audio: an energy detector with a hangover.

Energy, not a trained VAD: telephone audio here is G.711 from a line or a test caller, the
recogniser that follows rejects what is not speech (noise gets a `nomatch`), and an energy
detector needs nothing installed, runs in microseconds a frame on the event loop that paces the
media, and behaves the same for every engine. The noise floor adapts (it follows quiet frames), so
a steady hiss does not count as speech; speech starts after `START_FRAMES` loud frames in a row
and ends after `end_silence_s` of quiet (the hangover), or at `max_s`. A little audio from before
the start is kept, so the first sound of a word is not cut.

On a line, our own prompt comes back as echo (a hybrid without an echo canceller returns it
6 dB or more below, G.168's least echo return loss). Without care that echo is "speech" 60 ms
into every prompt, and the prompt barges itself in. So `add` is told how loud the prompt played
lately, and a frame is speech only when it is clearly louder than the echo that prompt can
cause. The line's coupling (echo level / prompt level) is the peak of what came back over the
last couple of seconds of prompt, the 6 dB worst case until half a second of it was heard (a
line that returns nothing is soon known as such, and a caller barges in): most frames come back
under it (`echo` is the loudest frame of the echo path's time, not the one echoed), so a
coupling that decayed between peaks would sink through a pause and let the next word's echo in.
Echo never teaches the noise floor.
"""

from __future__ import annotations

from collections import deque

import numpy as np

RATE = 8000
FRAME = 160  # 20 ms
START_FRAMES = 3  # 60 ms of loud frames in a row start an utterance
PRE_ROLL_FRAMES = 15  # 300 ms kept from before the start
MIN_LEVEL = 300.0  # RMS (16-bit) under which a frame is quiet, whatever the floor
FLOOR_RATIO = 3.0  # louder than the noise floor by this much is speech
END_SILENCE_S = 0.7
MAX_S = 10.0
COUPLING = 0.5  # echo level / prompt level assumed before any is measured (6 dB return loss)
MIN_COUPLING = 0.02  # a coupling learnt lower than this (34 dB) is not trusted
COUPLING_FRAMES = 100  # the coupling is the peak of the last 2 s of frames heard over a prompt
PRIOR_FRAMES = 25  # until 0.5 s of them were heard, it is COUPLING at least
ECHO_MARGIN = 1.5  # speech over a prompt must be this much louder than its expected echo


class Utterances:
    """Feed 8 kHz 16-bit PCM; `add` says when an utterance started and when it ended."""

    def __init__(self, end_silence_s: float = END_SILENCE_S, max_s: float = MAX_S) -> None:
        self.end_frames = max(1, int(end_silence_s * RATE / FRAME))
        self.max_frames = int(max_s * RATE / FRAME)
        self.floor = MIN_LEVEL / FLOOR_RATIO
        self._pending = b""
        self._before: deque[bytes] = deque(maxlen=PRE_ROLL_FRAMES)
        self._loud = 0
        self._quiet = 0
        self._frames: list[bytes] = []
        self.started = False
        self.ended = False
        # (frame heard, coupling) of the peaks still in the window, each under the one before:
        # the window's peak in constant time, on the loop that paces every call's media
        self._peaks: deque[tuple[int, float]] = deque()
        self._heard = 0  # frames heard over a prompt

    @property
    def coupling(self) -> float:
        """Return the line's echo level / prompt level, as learnt so far."""
        learnt = self._peaks[0][1] if self._peaks else COUPLING
        return learnt if self._heard >= PRIOR_FRAMES else max(learnt, COUPLING)

    def _learn(self, coupling: float) -> None:
        peaks = self._peaks
        while peaks and peaks[-1][1] <= coupling:
            peaks.pop()
        peaks.append((self._heard, coupling))
        self._heard += 1
        if peaks[0][0] < self._heard - COUPLING_FRAMES:
            peaks.popleft()

    @property
    def audio(self) -> bytes:
        """Return the utterance so far (with its pre-roll)."""
        return b"".join(self._frames)

    def add(self, pcm: bytes, echo: float = 0.0) -> str | None:
        """Take audio; return "started" or "ended" when that happened in it, else None.

        `echo` is the loudest level (RMS) of what we played in the last echo path's time,
        0 when nothing played."""
        if self.ended:
            return None
        data = self._pending + pcm
        whole = len(data) // (FRAME * 2) * FRAME * 2
        self._pending = data[whole:]
        happened = None
        for at in range(0, whole, FRAME * 2):
            change = self._frame(data[at:at + FRAME * 2], echo)
            if change == "ended":
                return "ended" if happened is None else happened
            happened = happened or change
        return happened

    def _frame(self, frame: bytes, echo: float) -> str | None:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
        level = float(np.sqrt(np.mean(samples * samples)))
        threshold = max(MIN_LEVEL, self.floor * FLOOR_RATIO, ECHO_MARGIN * self.coupling * echo)
        loud = level >= threshold
        if not self.started:
            if not loud and echo > 0:  # what comes back while a prompt plays teaches the echo
                self._learn(max(MIN_COUPLING, level / echo))
            elif not loud:  # quiet frames teach the floor; speech and echo never do
                self.floor = 0.95 * self.floor + 0.05 * level
            self._before.append(frame)
            self._loud = self._loud + 1 if loud else 0
            if self._loud >= START_FRAMES:
                self.started = True
                self._frames = list(self._before)
                self._quiet = 0
                return "started"
            return None
        self._frames.append(frame)
        self._quiet = 0 if loud else self._quiet + 1
        if self._quiet >= self.end_frames or len(self._frames) >= self.max_frames:
            self.ended = True
            return "ended"
        return None


def utterance_in(pcm: bytes, **options: float) -> bytes | None:
    """Return the first utterance in a recording (to its end or the recording's), or None."""
    found = Utterances(**options)
    found.add(pcm)
    if not found.started:
        return None
    return found.audio


STEADY_CV = 0.15  # frame levels varying less than this (std / mean) are a steady sound


def frame_levels(samples: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """Return the level (RMS) of each whole frame of `frame` samples (a partial one is left out)."""
    whole = len(samples) // frame
    by_frame = samples[:whole * frame].reshape(whole, frame).astype(np.float32)
    return np.sqrt(np.mean(by_frame * by_frame, axis=1))


def steady(pcm: bytes) -> bool:
    """Say whether a sound is steady (a hum, a tone, stationary noise) rather than speech.

    Speech rises and falls with its syllables: the levels of its loud 20 ms frames vary by 0.4
    to 0.6 of their mean (espeak-ng's voices, benchmarks/speech.py); a hum or a tone by under
    0.01. A recogniser would take a 150 Hz hum for "human", so it never hears one.
    """
    levels = frame_levels(np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2"))
    if len(levels) == 0:
        return True
    loud = levels[levels >= max(MIN_LEVEL, 0.1 * float(levels.max()))]
    if len(loud) < START_FRAMES:
        return True
    return float(np.std(loud) / np.mean(loud)) < STEADY_CV
