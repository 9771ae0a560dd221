"""Recorded prompts: WAV files in the workspace's `prompts/` folder, referenced by name.

    prompts = RecordedPrompts(root / "prompts")
    prompts.load("hours_en")            # prompts/hours_en.wav, as an 8 kHz Prompt
    await prompts.load_async("en/menu") # the same, converted off the event loop

A name is a relative path inside the folder, with or without its `.wav`; names that would
reach outside it (`../x`, `/etc/x`, a link pointing out, hidden files) are refused. A file is
converted once and kept (bounded, least recently used first out) until it changes on disk, so
a prompt that ops teams replace through git is heard anew without a restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .cache import PromptCache
from .errors import InvalidPromptName, PromptNotFound
from .prompt import Prompt
from .wavfile import read_wav

MAX_NAME = 255
CACHE_BYTES = 64 * 1024 * 1024  # about 70 minutes of 8 kHz audio


class RecordedPrompts:
    """The recorded prompts of one folder, loaded as 8 kHz prompts and kept."""

    def __init__(self, folder: Path, cache_bytes: int = CACHE_BYTES) -> None:
        self.folder = Path(folder)
        self.cache = PromptCache(cache_bytes)

    def path(self, name: str) -> Path:
        """Return the file a prompt name stands for; raise InvalidPromptName or PromptNotFound."""
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            raise InvalidPromptName(f"a recorded prompt's name is 1 to {MAX_NAME} characters, "
                                    f"not {name!r}")
        parts = name.split("/")
        if ("\\" in name or "\x00" in name
                or any(not part or part.startswith(".") for part in parts)):
            # "" is a leading "/" (absolute) or "//"; "." and ".." and hidden files start with "."
            raise InvalidPromptName(f"the recorded prompt {name!r} is not a plain name inside "
                                    f"{self.folder}")
        candidate = self.folder.joinpath(*parts)
        if candidate.suffix.lower() != ".wav" and not candidate.is_file():
            candidate = candidate.with_name(candidate.name + ".wav")
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.folder.resolve()):
            raise InvalidPromptName(f"the recorded prompt {name!r} leads outside {self.folder}")
        if not resolved.is_file():
            raise PromptNotFound(f"no recorded prompt {name!r}: {candidate} does not exist")
        return resolved

    def _cached(self, name: str) -> tuple[Path, tuple, Prompt | None]:
        """Return a name's file, its cache key (path, change time, size) and any kept prompt."""
        path = self.path(name)
        try:
            stat = path.stat()
        except OSError as exc:
            raise PromptNotFound(f"no recorded prompt {name!r}: {path}: "
                                 f"{exc.strerror or exc}") from None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        return path, key, self.cache.get(key)

    def load(self, name: str) -> Prompt:
        """Return a recorded prompt by name, converted to 8 kHz mono 16-bit."""
        path, key, found = self._cached(name)
        if found is None:
            found = read_wav(path)
            self.cache.put(key, found)
        return found

    async def load_async(self, name: str) -> Prompt:
        """Return a recorded prompt by name; a file not yet kept is read in a worker thread."""
        path, key, found = self._cached(name)
        if found is None:
            found = await asyncio.to_thread(read_wav, path)
            self.cache.put(key, found)
        return found


