"""Where prompts are kept once made: in memory, and as WAV files in a folder; both bounded.

    PromptCache(max_bytes)            least recently used first out, measured in bytes of PCM
    PromptFolder(folder, max_bytes)   8 kHz WAV files named by key; the least recently used go
                                      once the folder passes its size (prompts made from
                                      templates, a balance in each, would otherwise pile up)
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path

from .errors import UnreadablePrompt
from .prompt import Prompt
from .wavfile import read_wav, write_wav

log = logging.getLogger(__name__)
FOLDER_BYTES = 256 * 1024 * 1024  # about four and a half hours of 8 kHz speech
PRUNE_EVERY = 16  # the folder is checked each time a 16th of its size has been written
KEEP = 0.9  # pruning leaves the folder at this share of its size, so it is not pruned at once


class PromptCache:
    """Prompts by key, the least recently used dropped once their PCM passes `max_bytes`.

    A prompt larger than the whole cache is never kept. Safe to share between threads (the
    event loop, and tools that ask for prompts synchronously).
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"a cache's size cannot be negative ({max_bytes})")
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, Prompt] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> Prompt | None:
        """Return the prompt kept under `key` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, prompt: Prompt) -> None:
        """Keep a prompt under `key`, dropping the least recently used ones to make room."""
        size = len(prompt.pcm)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= len(old.pcm)
            if size > self.max_bytes:
                return
            self._items[key] = prompt
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= len(dropped.pcm)


class PromptFolder:
    """Prompts kept as 8 kHz WAV files named `<key>.wav`, bounded in bytes on disk.

    A file read back is marked as used (its modification time), so pruning removes the prompts
    not heard for longest. Several processes may share a folder: a file pruned by one is made
    again by another that needs it. Failing to write is logged, never raised: the prompt
    still plays.
    """

    def __init__(self, folder: Path, max_bytes: int = FOLDER_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._written = 0

    def path(self, key: str) -> Path:
        """Return the file a key's prompt is kept in."""
        return self.folder / f"{key}.wav"

    def get(self, key: str) -> Prompt | None:
        """Return the prompt kept under `key`, or None (a damaged file counts as none)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            prompt = read_wav(path)
            os.utime(path)
        except (UnreadablePrompt, OSError):
            return None
        return prompt

    def put(self, key: str, prompt: Prompt) -> None:
        """Keep a prompt under `key`, pruning the folder when enough has been written."""
        path = self.path(key)
        try:
            write_wav(path, prompt.pcm)
        except OSError as exc:
            log.warning("prompt not kept on disk at %s: %s", path, exc)
            return
        self._written += len(prompt.pcm)
        if self._written * PRUNE_EVERY >= self.max_bytes:
            self._written = 0
            self.prune()

    def prune(self) -> None:
        """Remove the least recently used files until the folder is back under its size."""
        files = []
        for path in self.folder.glob("*.wav"):
            try:
                stat = path.stat()
            except OSError:  # pruned meanwhile by another process
                continue
            files.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(files):
            if total <= self.max_bytes * KEEP:
                break
            path.unlink(missing_ok=True)
            total -= size
