"""The endpointer: where an utterance starts and ends in 8 kHz audio."""

from __future__ import annotations

import numpy as np

from runtime.speech import Utterances
from runtime.speech.endpoint import steady, utterance_in


def tone(seconds: float, level: float = 3000.0) -> bytes:
    t = np.arange(int(seconds * 8000)) / 8000
    return (level * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return bytes(int(seconds * 8000) * 2)


def test_silence_has_no_utterance():
    assert utterance_in(quiet(2)) is None


def test_speech_starts_after_60_ms_and_ends_after_the_hangover():
    found = Utterances(end_silence_s=0.5)
    assert found.add(quiet(0.5)) is None
    assert found.add(tone(0.04)) is None
    assert found.add(tone(0.04)) == "started"
    assert found.add(quiet(0.4)) is None
    assert found.add(quiet(0.2)) == "ended" and found.ended
    # the pre-roll keeps the start of the word; the hangover is part of the utterance
    assert 0.75 < len(found.audio) / 16000 < 0.9  # 300 ms pre-roll, 500 ms hangover


def test_a_steady_hiss_teaches_the_floor_and_is_not_speech():
    hiss = np.random.default_rng(0).normal(0, 150, 16000).astype("<i2").tobytes()
    found = Utterances()
    assert found.add(hiss) is None and not found.started


def test_an_utterance_ends_at_its_longest():
    found = Utterances(max_s=1.0)
    assert found.add(tone(2.0)) == "started"
    assert found.ended and len(found.audio) / 16000 <= 1.0


def test_a_hum_is_a_steady_sound_and_speech_is_not(tmp_path):
    assert steady(tone(1.0)) and steady(quiet(1.0))
    syllables = b"".join(tone(0.15) + tone(0.1, 800.0) for _ in range(4))
    assert not steady(syllables)


def syllables(seconds: float, level: float, seed: int = 0) -> list[bytes]:
    """20 ms frames of noise that rises and falls like speech, at about `level` RMS."""
    rng = np.random.default_rng(seed)
    frames = []
    for n in range(int(seconds / 0.02)):
        gain = level * (0.2 + 0.8 * abs(np.sin(n * np.pi / 12)))  # a syllable every 240 ms
        frames.append((rng.normal(0, 1, 160) * gain).astype("<i2").tobytes())
    return frames


def level_of(frame: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(frame, "<i2").astype(np.float64) ** 2)))


def over_a_line(prompt: list[bytes], caller: dict[int, bytes], window: int = 10,
                echo_db: float = -10) -> str | None:
    """Feed an endpointer what a line without an echo canceller returns while `prompt` plays:
    the prompt `echo_db` down and 40 ms late, plus what the caller says at the frames `caller`
    keys; return the frame at which speech started, as "n", or None."""
    found = Utterances()
    played: list[float] = []
    for n, frame in enumerate(prompt):
        played = (played + [level_of(frame)])[-window:]
        back = np.frombuffer(prompt[n - 2] if n >= 2 else bytes(320), "<i2") * 10 ** (echo_db / 20)
        if n in caller:
            back = back + np.frombuffer(caller[n], "<i2")
        if found.add(back.astype("<i2").tobytes(), max(played)) == "started":
            return str(n)
    return None


def test_the_echo_of_our_own_prompt_is_not_speech_but_a_caller_over_it_is():
    prompt = syllables(4, 5000)
    assert over_a_line(prompt, {}) is None
    caller = syllables(0.4, 3500, seed=1)  # 3 dB quieter than the prompt, from 3.6 s on
    started = over_a_line(prompt, {180 + n: frame for n, frame in enumerate(caller)})
    assert started is not None and int(started) >= 180, "a caller as loud as usual barges in"


def test_on_a_line_that_returns_no_echo_a_quiet_caller_barges_in_soon_after_the_prompt_starts():
    prompt = syllables(4, 5000)
    caller = syllables(0.4, 1500, seed=1)  # 10 dB under the prompt, from 0.6 s on
    started = over_a_line(prompt, {30 + n: frame for n, frame in enumerate(caller)},
                          window=25, echo_db=-90)
    assert started is not None and 30 <= int(started) < 40


def test_a_pause_in_the_prompt_does_not_let_the_next_words_echo_in():
    # a sentence, 0.6 s of quiet, the next starting loud: the echo path's window still holds
    # the first sentence well into the pause, while what comes back is silence
    prompt = syllables(1.5, 5000) + [bytes(320)] * 30 + syllables(1.5, 5000, seed=2)[6:]
    assert over_a_line(prompt, {}, window=25) is None


def test_without_a_prompt_playing_the_same_echo_level_is_speech():
    found = Utterances()
    heard = [found.add(frame) for frame in syllables(0.2, 5000 * 10 ** (-10 / 20))]
    assert "started" in heard
