"""Linear PCM of any common shape to the telephone's: 8 kHz, mono, signed 16-bit.

    to_telephone(data, rate=44100, width=2, channels=2) -> bytes

`width` is bytes a sample as WAV files store them: 1 (unsigned 8-bit), 2, 3 or 4 (signed,
little-endian). Channels are averaged; the rate is changed by the SoX resampler (soxr), whose
low-pass filter keeps what lies above 4 kHz from folding back into the band as noise.
"""

from __future__ import annotations

import numpy as np
import soxr

from .prompt import RATE

WIDTHS = (1, 2, 3, 4)


def _samples(data: bytes, width: int, channels: int) -> np.ndarray:
    """Return the samples as floats on the 16-bit scale, one row a frame, one column a channel."""
    usable = len(data) - len(data) % (width * channels)  # a cut-off last frame is dropped
    raw = np.frombuffer(data, dtype=np.uint8, count=usable)
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
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


def to_telephone(data: bytes, rate: int, width: int = 2, channels: int = 1) -> bytes:
    """Convert linear PCM to 8 kHz mono signed 16-bit little-endian PCM."""
    if width not in WIDTHS:
        raise ValueError(f"{8 * width}-bit samples are not linear PCM this reads "
                         f"(8, 16, 24 or 32 bits)")
    if channels < 1 or rate < 1:
        raise ValueError(f"audio has at least one channel and a positive rate, "
                         f"not {channels} channels at {rate} Hz")
    mono = _samples(data, width, channels).mean(axis=1)
    if rate != RATE and len(mono):
        mono = soxr.resample(mono, rate, RATE, quality="HQ")
    return np.clip(np.rint(mono), -32768, 32767).astype("<i2").tobytes()
