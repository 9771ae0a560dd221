"""Fixtures of the media tests: espeak-ng (required under CI) and WAV files made on the spot."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import make_wav


@pytest.fixture
def espeak_ng() -> str:
    """Return espeak-ng's path; skip without it, or fail under CI=true, where it must be there."""
    found = shutil.which("espeak-ng")
    if found is None:
        message = "espeak-ng is not installed (Debian package espeak-ng)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{message}; under CI every dependency must be present")
        pytest.skip(message)
    return found


@pytest.fixture
def wav_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a maker of WAV files under tmp_path: (name, channels, rate, width) -> path."""
    def made(name: str, channels: np.ndarray, rate: int, width: int = 2) -> Path:
        """Write one WAV file and return its path."""
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return make_wav(path, channels, rate, width)
    return made
