"""Linear PCM of any common shape to the telephone's: 8 kHz, mono, signed 16-bit.

    to_telephone(data, rate=44100, width=2, channels=2) -> bytes
    to_telephone(data, rate=48000, width=4, floating=True) -> bytes

`width` is bytes a sample as WAV files store them: 1 (unsigned 8-bit), 2, 3 or 4 (signed,
little-endian), or 4 or 8 for floating-point samples (full scale is 1.0). Channels are
averaged; the rate is changed by the SoX resampler (soxr), whose low-pass filter keeps what
lies above 4 kHz from folding back into the band as noise.
"""

from __future__ import annotations

import numpy as np
import soxr

from .prompt import RATE

WIDTHS = (1, 2, 3, 4)
FLOAT_WIDTHS = (4, 8)


def _samples(data: bytes, width: int, channels: int, floating: bool) -> np.ndarray:
    """Return the samples as floats on the 16-bit scale, one row a frame, one column a channel."""
    usable = len(data) - len(data) % (width * channels)  # a cut-off last frame is dropped
    raw = np.frombuffer(data, dtype=np.uint8, count=usable)
    if floating:
        values = raw.view(f"<f{width}").astype(np.float64) * 32768.0
    elif width == 1:  # 8-bit WAV is unsigned, centred on 128
        values = (raw.astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        values = raw.view("<i2").astype(np.float64)
    elif width == 3:
        triples = raw.reshape(-1, 3).astype(np.int32)
        joined = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        values = np.where(joined >= 1 << 23, joined - (1 << 24), joined) / 256.0
    else:
        values = raw.view("<i4").astype(np.float64) / 65536.0
    return values.reshape(-1, channels)


def to_telephone(data: bytes, rate: int, width: int = 2, channels: int = 1, *,
                 floating: bool = False) -> bytes:
    """Convert linear PCM to 8 kHz mono signed 16-bit little-endian PCM."""
    if width not in (FLOAT_WIDTHS if floating else WIDTHS):
        raise ValueError(f"{8 * width}-bit {'floating-point ' if floating else ''}samples are "
                         f"not linear PCM this reads ({'32 or 64' if floating else '8 to 32'} "
                         f"bits)")
    if channels < 1 or rate < 1:
        raise ValueError(f"audio has at least one channel and a positive rate, "
                         f"not {channels} channels at {rate} Hz")
    mono = _samples(data, width, channels, floating).mean(axis=1)
    if rate != RATE and len(mono):
        mono = soxr.resample(mono, rate, RATE, quality="HQ")
    return np.clip(np.rint(mono), -32768, 32767).astype("<i2").tobytes()
