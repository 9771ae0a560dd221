"""What a test needs from the machine: skipped without it, except under CI=true, where it fails.

scripts/test.sh installs every Debian package the suite needs; under CI a missing one is a
broken run, never a quietly skipped test.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def under_ci() -> bool:
    """Say whether the suite runs under CI (CI=true)."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def missing(message: str) -> NoReturn:
    """Skip the test for want of something, or fail it under CI."""
    if under_ci():
        pytest.fail(f"{message}; under CI every dependency must be present")
    pytest.skip(message)


def program(name: str, package: str) -> str:
    """Return the path of a program on PATH; skip (fail under CI) without it."""
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed (Debian package {package})")
    return found
