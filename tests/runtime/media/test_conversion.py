"""Converting linear PCM of any common shape to 8 kHz mono 16-bit."""

from __future__ import annotations

import numpy as np
import pytest
from audio import peak_hz, rms, samples_of, sine

from runtime.media.conversion import to_telephone


def pcm16(channels: np.ndarray) -> bytes:
    """Return float samples (one row a channel) as interleaved 16-bit PCM."""
    return np.rint(np.atleast_2d(channels).T).astype("<i2").tobytes()


def test_44_1_khz_stereo_becomes_8_khz_mono_of_the_same_length() -> None:
    left, right = sine(440, 1.5, 44100), sine(440, 1.5, 44100, amplitude=5000)
    pcm = to_telephone(pcm16(np.stack([left, right])), 44100, 2, 2)
    assert len(pcm) == 2 * 12000
    assert peak_hz(pcm) == pytest.approx(440, abs=1)
    assert rms(pcm) == pytest.approx(7500 / np.sqrt(2), rel=0.02)  # the channels' mean


def test_16_khz_mono_becomes_8_khz_keeping_its_tone() -> None:
    pcm = to_telephone(pcm16(sine(1000, 2.0, 16000)), 16000)
    assert len(pcm) == 2 * 16000
    assert peak_hz(pcm) == pytest.approx(1000, abs=1)


def test_8_khz_mono_16_bit_passes_unchanged() -> None:
    original = pcm16(sine(300, 0.5, 8000))
    assert to_telephone(original, 8000) == original


def test_what_lies_above_4_khz_is_filtered_out_not_folded_back() -> None:
    # decimating a 6 kHz tone naively would leave a loud 2 kHz alias; past the first and last
    # 50 ms (where the tone starts and stops abruptly) nothing is left of it
    pcm = to_telephone(pcm16(sine(6000, 1.0, 44100)), 44100)
    assert rms(pcm[800:-800]) < 1
    assert rms(to_telephone(pcm16(sine(3700, 1.0, 44100)), 44100)[800:-800]) > 7000


def test_channels_are_averaged() -> None:
    tone = sine(500, 0.5, 8000)
    assert rms(to_telephone(pcm16(np.stack([tone, -tone])), 8000, 2, 2)) < 1


@pytest.mark.parametrize("width", [1, 3, 4])
def test_8_24_and_32_bit_samples_read_as_16_bit_ones(width: int) -> None:
    tone = sine(400, 0.25, 8000)
    scale = {1: 1 / 256, 3: 256, 4: 65536}[width]
    if width == 1:
        data = np.clip(np.rint(tone * scale + 128), 0, 255).astype(np.uint8).tobytes()
    elif width == 3:
        wide = np.rint(tone * scale).astype("<i4")
        data = wide.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        data = np.rint(tone * scale).astype("<i4").tobytes()
    back = samples_of(to_telephone(data, 8000, width, 1))
    tolerance = 128 if width == 1 else 0.5  # 8-bit keeps a 256th of the resolution
    assert np.abs(back - np.rint(tone)).max() <= tolerance


def test_a_cut_off_last_frame_is_dropped() -> None:
    stereo = pcm16(np.stack([sine(440, 0.01, 8000)] * 2))
    assert len(to_telephone(stereo + b"\x01\x02\x03", 8000, 2, 2)) == len(stereo) // 2


def test_no_audio_is_no_audio() -> None:
    assert to_telephone(b"", 44100, 2, 2) == b""


@pytest.mark.parametrize(("rate", "width", "channels", "message"), [
    (8000, 5, 1, "40-bit samples"), (8000, 2, 0, "at least one channel"),
    (0, 2, 1, "positive rate")])
def test_shapes_that_are_not_linear_pcm_are_refused(rate: int, width: int, channels: int,
                                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_telephone(bytes(8), rate, width, channels)


def test_floating_point_samples_have_full_scale_at_1_0_and_clip_beyond() -> None:
    data = np.array([0.5, -0.5, 1.5, -2.0], dtype="<f4").tobytes()
    assert list(samples_of(to_telephone(data, 8000, 4, floating=True))) == [16384, -16384,
                                                                            32767, -32768]
