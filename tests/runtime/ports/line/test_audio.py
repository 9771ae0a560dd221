"""pyVoIP's 8-bit unsigned audio, to and from runtime.media's 16-bit PCM."""

from __future__ import annotations

import numpy as np

from runtime.ports.line.audio import FRAME_BYTES, SILENCE, frames, from_unsigned8, to_unsigned8


def pcm(*samples: int) -> bytes:
    """Return 16-bit signed little-endian PCM of the given samples."""
    return np.array(samples, dtype="<i2").tobytes()


def test_16_bit_silence_is_8_bit_silence_and_back():
    assert to_unsigned8(pcm(0, 0, 0)) == bytes([SILENCE] * 3)
    assert from_unsigned8(bytes([SILENCE] * 3)) == pcm(0, 0, 0)


def test_full_scale_keeps_its_sign_and_its_top_byte():
    assert to_unsigned8(pcm(-32768, 32767, 256, -256)) == bytes([0, 255, 129, 127])
    assert from_unsigned8(bytes([0, 255, 129, 127])) == pcm(-32768, 32512, 256, -256)


def test_a_round_trip_loses_only_the_low_byte():
    original = np.random.default_rng(7).integers(-32768, 32767, 8000, dtype=np.int16)
    back = np.frombuffer(from_unsigned8(to_unsigned8(original.astype("<i2").tobytes())), "<i2")
    assert np.all(np.abs(original.astype(int) - back) < 256)


def test_audio_is_cut_into_20_ms_frames_the_last_padded_with_silence():
    cut = frames(bytes(range(200)))
    assert [len(f) for f in cut] == [FRAME_BYTES, FRAME_BYTES]
    assert cut[0] == bytes(range(160))
    assert cut[1] == bytes(range(160, 200)) + bytes([SILENCE] * 120)
    assert frames(b"") == []
