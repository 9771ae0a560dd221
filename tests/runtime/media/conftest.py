"""Fixtures of the media tests: espeak-ng (required under CI) and WAV files made on the spot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import make_wav
from needs import program


@pytest.fixture
def espeak_ng() -> str:
    """Return espeak-ng's path; skip without it, or fail under CI=true, where it must be there."""
    return program("espeak-ng", "espeak-ng")


@pytest.fixture
def wav_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a maker of WAV files under tmp_path: (name, channels, rate, width) -> path."""
    def made(name: str, channels: np.ndarray, rate: int, width: int = 2) -> Path:
        """Write one WAV file and return its path."""
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return make_wav(path, channels, rate, width)
    return made
