"""Headless Debian Chromium driven by Playwright, for the editor's end-to-end tests.

Nothing downloads a browser: /usr/bin/chromium (CALLWRIGHT_CHROMIUM) is launched. Without
Playwright a test module is skipped, except under CI, where that is a failure. Screenshots of
each step are kept in .callwright/e2e/ (CALLWRIGHT_E2E_ARTIFACTS) to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CALLWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CALLWRIGHT_E2E_ARTIFACTS", ROOT / ".callwright" / "e2e"))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

try:
    from playwright import sync_api
except ImportError:  # the test extra brings it; under CI its absence is a failure
    if IN_CI:
        raise
    pytest.skip("playwright is not installed (the test extra)", allow_module_level=True)


def need_chromium() -> None:
    """Skip (fail under CI) when Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing under CI (Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")


@contextmanager
def chromium() -> Iterator[Any]:
    """Launch headless Debian Chromium; close it at the end of the block."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """Keep a screenshot of this step."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sign_in(page: Any, url: str, name: str, password: str) -> None:
    """Sign in on the editor's sign-in page."""
    page.goto(url + "/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
