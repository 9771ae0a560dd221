"""A prompt: 8 kHz PCM, its length, and its 20 ms G.711 frames made once per codec."""

from __future__ import annotations

import numpy as np
import pytest
from audio import peak_hz, rms

from runtime.media import g711
from runtime.media.prompt import FRAME_SAMPLES, Prompt, silence, tone


def test_a_prompt_knows_its_length_from_its_samples() -> None:
    prompt = Prompt(bytes(2 * 12000))
    assert prompt.samples == 12000
    assert prompt.duration_s == 1.5
    assert repr(prompt) == "<Prompt 1.500 s>"


@pytest.mark.parametrize("codec", g711.CODECS)
def test_frames_are_160_bytes_and_the_last_is_padded_with_the_codecs_silence(codec: str) -> None:
    pcm = tone(440, seconds=0.05).pcm  # 400 samples: two full frames and 80 samples over
    frames = Prompt(pcm).frames(codec)
    assert FRAME_SAMPLES == 160
    assert [len(frame) for frame in frames] == [160, 160, 160]
    assert b"".join(frames)[:400] == g711.encode(pcm, codec)
    assert frames[-1][80:] == bytes([g711.SILENCE[codec]]) * 80


def test_a_prompt_of_whole_frames_gets_no_padding_frame() -> None:
    assert len(silence(0.2).frames("PCMU")) == 10


def test_frames_are_encoded_once_per_codec() -> None:
    prompt = tone(440, seconds=1.0)
    first = prompt.frames("PCMA")
    assert prompt.frames("PCMA") is first
    assert prompt.frames("PCMU") is not first
    assert prompt.frames("PCMU") is prompt.frames("PCMU")


def test_an_empty_prompt_has_no_frames() -> None:
    assert Prompt(b"").frames("PCMU") == ()
    assert Prompt(b"").duration_s == 0


def test_prompts_are_equal_by_their_audio_and_hold_bytes() -> None:
    assert Prompt(bytearray(4)) == Prompt(bytes(4))
    assert isinstance(Prompt(bytearray(4)).pcm, bytes)
    assert Prompt(bytes(4)) != Prompt(bytes(6))
    assert len({Prompt(bytes(4)), Prompt(bytes(4))}) == 1


def test_odd_pcm_is_refused() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        Prompt(b"\x00")


def test_a_beep_is_a_1_khz_tone_of_a_quarter_second_at_minus_10_dbfs() -> None:
    beep = tone()
    assert beep.duration_s == 0.25
    assert peak_hz(beep.pcm) == pytest.approx(1000, abs=8)
    assert rms(beep.pcm) == pytest.approx(32767 * 10 ** (-10 / 20) / np.sqrt(2), rel=0.01)


def test_a_tone_above_4_khz_cannot_be_made_at_8_khz() -> None:
    with pytest.raises(ValueError, match="between 0 and 4000 Hz"):
        tone(4000)


def test_silence_is_zero_samples_of_the_given_length() -> None:
    assert silence(0.5).pcm == bytes(8000)
