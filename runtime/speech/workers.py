"""Recognition in worker processes, for the voice node.

PocketSphinx's decoder holds the GIL while it decodes (measured: a 4 s utterance stops every
other thread for about 0.4 s), and the node's event loop paces every call's audio every 20 ms. So
on the node an utterance is recognised in another process: `[speech] workers` of them, each
loading its models once (`recognizer_for` caches them per process), started on first use with
`spawn` (forking a process that runs threads and an event loop is unsafe). The simulator, which
paces nothing, recognises in its own process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .engines import recognizer_for, speech_settings
from .grammar import Grammar
from .recognizer import Recognition, SpeechUnavailable

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


def pool(workers: int) -> ProcessPoolExecutor:
    """Return this process's pool of `workers` recognition processes (made once, and started
    at once: a spawned process takes a second or more to import, which a caller must not wait)."""
    with _lock:
        found = _pools.get(workers)
        if found is None:
            found = _pools[workers] = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"))
            for _ in range(workers):
                found.submit(_ready)
        return found


def _ready() -> None:
    """Import what a recognition needs (the worker's first job)."""
    from . import pocketsphinx  # noqa: F401


def _recognize(settings: Mapping[str, Any], root: Path | None, pcm: bytes,
               grammar: Grammar) -> tuple[Recognition, float]:
    recognizer = recognizer_for(settings, grammar.language, root)
    return recognizer.recognize(pcm, grammar), recognizer.threshold


def _unavailable(settings: Mapping[str, Any], root: Path | None, language: str) -> str | None:
    try:
        recognizer_for(settings, language, root)
    except SpeechUnavailable as exc:
        return str(exc)
    return None


class RemoteRecognition:
    """Recognises in the worker processes, awaited from the event loop."""

    def __init__(self, settings: Mapping[str, Any], root: Path | None) -> None:
        self.settings = {"speech": speech_settings(settings)}  # all a worker needs, picklable
        self.root = root
        self.workers = int(self.settings["speech"].get("workers", 2))
        self._checked: dict[str, str | None] = {}
        pool(self.workers)  # started with the first call, ready by its first wait

    async def unavailable(self, language: str) -> str | None:
        """Return why a language cannot be heard (the configuration error), or None."""
        if language not in self._checked:
            loop = asyncio.get_running_loop()
            self._checked[language] = await loop.run_in_executor(
                pool(self.workers), _unavailable, self.settings, self.root, language)
        return self._checked[language]

    async def recognize(self, pcm: bytes, grammar: Grammar) -> tuple[Recognition, float]:
        """Return what a worker heard and the threshold it is judged by."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool(self.workers), _recognize, self.settings,
                                          self.root, pcm, grammar)
