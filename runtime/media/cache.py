"""A bounded least-recently-used cache of prompts, measured in bytes of PCM."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .prompt import Prompt


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
