"""pyVoIP's audio format: 8 kHz mono 8-bit unsigned linear, to and from runtime.media's 16-bit PCM.

pyVoIP 1.6.8 takes and gives 8-bit unsigned samples (128 is silence) and does the G.711
coding itself. Prompts (runtime.media) and recordings are signed 16-bit little-endian PCM at
8 kHz, so the line backend converts at the edge: the top byte of each sample, offset by 128.
"""

from __future__ import annotations

import numpy as np

FRAME_BYTES = 160  # 20 ms at 8 kHz, one byte a sample: what pyVoIP sends in one RTP packet
SILENCE = 0x80


def to_unsigned8(pcm: bytes) -> bytes:
    """Return 16-bit signed little-endian PCM as 8-bit unsigned samples (pyVoIP's write_audio)."""
    samples = np.frombuffer(pcm, dtype="<i2")
    return ((samples >> 8) + 128).astype(np.uint8).tobytes()


def from_unsigned8(audio: bytes) -> bytes:
    """Return 8-bit unsigned samples (pyVoIP's read_audio) as 16-bit signed little-endian PCM."""
    samples = np.frombuffer(audio, dtype=np.uint8).astype(np.int16)
    return ((samples - 128) << 8).astype("<i2").tobytes()


def frames(audio: bytes) -> list[bytes]:
    """Cut 8-bit audio into 20 ms frames, the last padded with silence."""
    padding = -len(audio) % FRAME_BYTES
    audio += bytes([SILENCE]) * padding
    return [audio[at:at + FRAME_BYTES] for at in range(0, len(audio), FRAME_BYTES)]
