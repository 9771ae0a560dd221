"""Headless Debian Chromium (/usr/bin/chromium) driven by Playwright; nothing downloads a browser.

Importable as `browser` from any test: the editor's, the bots editor's and the web-chat widget's
browser tests start Chromium the same way. A test module importing it is skipped without
Playwright, except under CI, where that is a failure. Screenshots of each step are kept in
.callwright/e2e/ (CALLWRIGHT_E2E_ARTIFACTS) to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from needs import missing, under_ci

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CALLWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CALLWRIGHT_E2E_ARTIFACTS", ROOT / ".callwright" / "e2e"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

try:
    from playwright import sync_api
except ImportError:  # the test extra brings it; under CI its absence is a failure
    if under_ci():
        raise
    pytest.skip("playwright is not installed (the test extra)", allow_module_level=True)


def need_chromium() -> None:
    """Skip (fail under CI) when Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing: apt-get install chromium")


@contextmanager
def chromium() -> Iterator[Any]:
    """Yield a launched headless Chromium, closed at the end of the block."""
    need_chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


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
