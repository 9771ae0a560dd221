"""A prompt ready for the wire: 8 kHz mono 16-bit PCM, and its 20 ms G.711 frames per codec.

    prompt = Prompt(pcm)             # signed 16-bit little-endian samples at 8 kHz
    prompt.duration_s                # len(pcm) / 16,000
    prompt.frames("PCMU")            # tuple of 160-byte frames, encoded once and kept

A prompt is immutable; its frames are encoded the first time a codec is asked for, so a prompt
played on many calls is encoded once. `tone()` and `silence()` make prompts without a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import g711

RATE = 8000  # samples a second on the telephone network
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000  # 160: one RTP packet of G.711
SAMPLE_BYTES = 2


@dataclass(frozen=True, slots=True, eq=False)
class Prompt:
    """8 kHz mono signed 16-bit little-endian PCM, with its G.711 frames made once per codec."""

    pcm: bytes
    _frames: dict[str, tuple[bytes, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.pcm) % SAMPLE_BYTES:
            raise ValueError(f"16-bit PCM has an even number of bytes, not {len(self.pcm)}")
        object.__setattr__(self, "pcm", bytes(self.pcm))

    def __repr__(self) -> str:
        return f"<Prompt {self.duration_s:.3f} s>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Prompt) and other.pcm == self.pcm

    def __hash__(self) -> int:
        return hash(self.pcm)

    @property
    def samples(self) -> int:
        """Return how many samples the prompt has."""
        return len(self.pcm) // SAMPLE_BYTES

    @property
    def duration_s(self) -> float:
        """Return how long the prompt plays, in seconds."""
        return self.samples / RATE

    def frames(self, codec: str) -> tuple[bytes, ...]:
        """Return the prompt as 20 ms frames of a G.711 codec; the last is padded with silence."""
        found = self._frames.get(codec)
        if found is None:
            encoded = g711.encode(self.pcm, codec)
            padding = -len(encoded) % FRAME_SAMPLES
            encoded += bytes([g711.SILENCE[codec]]) * padding
            found = tuple(encoded[at:at + FRAME_SAMPLES]
                          for at in range(0, len(encoded), FRAME_SAMPLES))
            # two tasks encoding the same prompt at once both get equal frames; one is kept
            found = self._frames.setdefault(codec, found)
        return found


def silence(seconds: float) -> Prompt:
    """Return a prompt of silence lasting `seconds` (rounded to whole samples)."""
    return Prompt(bytes(SAMPLE_BYTES * round(seconds * RATE)))


def tone(frequency_hz: float = 1000.0, seconds: float = 0.25, level_dbfs: float = -10.0) -> Prompt:
    """Return a sine tone (a record block's beep by default: 1 kHz, 250 ms, -10 dBFS)."""
    if not 0 < frequency_hz < RATE / 2:
        raise ValueError(f"a tone at 8 kHz lies between 0 and 4000 Hz, not {frequency_hz}")
    times = np.arange(round(seconds * RATE)) / RATE
    amplitude = 32767 * math.pow(10, level_dbfs / 20)
    sine = np.rint(amplitude * np.sin(2 * math.pi * frequency_hz * times))
    return Prompt(sine.astype("<i2").tobytes())
