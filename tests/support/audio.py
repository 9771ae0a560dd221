"""Audio for tests: sine waves, WAV files of any shape, and measures of 16-bit PCM."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def sine(frequency_hz: float, seconds: float, rate: int, amplitude: float = 10000.0) -> np.ndarray:
    """Return a sine wave as float samples on the 16-bit scale."""
    times = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * frequency_hz * times)


def make_wav(path: Path, channels: np.ndarray, rate: int, width: int = 2) -> Path:
    """Write float samples (one row a channel, 16-bit scale) as a WAV file of `width` bytes."""
    frames = np.atleast_2d(channels).T  # one row a frame
    if width == 1:
        data = np.clip(np.rint(frames / 256 + 128), 0, 255).astype(np.uint8).tobytes()
    elif width == 2:
        data = np.clip(np.rint(frames), -32768, 32767).astype("<i2").tobytes()
    elif width == 3:
        wide = np.clip(np.rint(frames * 256), -(1 << 23), (1 << 23) - 1).astype("<i4")
        data = wide.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        data = np.clip(np.rint(frames * 65536), -(1 << 31), (1 << 31) - 1).astype("<i4").tobytes()
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(frames.shape[1])
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(data)
    return path


def samples_of(pcm: bytes) -> np.ndarray:
    """Return 16-bit little-endian PCM as an array of floats."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def rms(pcm: bytes) -> float:
    """Return the root mean square of 16-bit PCM (0 for none)."""
    values = samples_of(pcm)
    return float(np.sqrt(np.mean(values ** 2))) if len(values) else 0.0


def peak_hz(pcm: bytes, rate: int = 8000) -> float:
    """Return the frequency with the most energy in 16-bit PCM."""
    spectrum = np.abs(np.fft.rfft(samples_of(pcm)))
    return float(np.fft.rfftfreq(len(pcm) // 2, 1 / rate)[int(np.argmax(spectrum))])
