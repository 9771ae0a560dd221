"""Text prompts spoken by Debian's espeak-ng, converted to 8 kHz and rendered once.

    speech = TextToSpeech(cache_dir=root / ".callwright" / "tts")
    await speech.speak("Welcome to Acme.", "en-US")   # on the event loop (asyncio subprocess)
    speech.speak_sync("Добро пожаловать.", "ru")       # for tools, without an event loop
    TextToSpeech.from_settings(settings, cache_dir)    # [voice] tts_voices, tts_rate

The voice follows the session's language: `en` is `en-us` and `ru` is `ru` unless
`[voice] tts_voices` maps the language (or its full tag, `en-gb`) to another espeak-ng voice;
any other language is given espeak-ng's voice of the same name. The speaking rate is
`[voice] tts_rate` words a minute (espeak-ng's 175 unless set).

A prompt is made once per (text, voice, rate): kept in memory (bounded, least recently used
first out) and as an 8 kHz WAV file under `cache_dir` named by a hash of the three, so a
restarted runtime speaks without synthesising again (the folder is bounded too: the prompts
not heard for longest go first). Requests for the same prompt made while it
is being synthesised wait for that one process. espeak-ng runs without a shell, the text on its
standard input, for at most `timeout_s`; a few run at once, not one per call.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from blocks.sdk import ConfigurationError

from .cache import FOLDER_BYTES, PromptCache, PromptFolder
from .errors import SpeechFailed
from .prompt import Prompt
from .wavfile import prompt_from_wav

COMMAND = "espeak-ng"
DEFAULT_VOICES = {"en": "en-us", "ru": "ru"}
DEFAULT_RATE = 175  # espeak-ng's own default, words a minute
RATES = (80, 450)  # what espeak-ng accepts
MAX_TEXT = 4000  # characters: about five minutes of speech
TIMEOUT_S = 20.0
PROCESSES = 2  # synthesisers running at once; more requests wait their turn
CACHE_BYTES = 32 * 1024 * 1024  # about 35 minutes of 8 kHz speech
# part of every cache key: change it when the same request would give different audio
CACHE_FORMAT = "espeak-ng 8k/1"
_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,63}")
_INSTALL = "install the Debian package espeak-ng (apt-get install espeak-ng)"


def _checked_voices(voices: Mapping[str, Any]) -> dict[str, str]:
    """Return a language -> voice mapping with lowercase languages; refuse odd voice names."""
    checked = {}
    for language, voice in voices.items():
        if not isinstance(voice, str) or not _VOICE.fullmatch(voice):
            raise ConfigurationError(f"[voice] tts_voices: {language} = {voice!r} is not an "
                                     f"espeak-ng voice name (see `espeak-ng --voices`)")
        checked[str(language).lower().replace("_", "-")] = voice
    return checked


def _checked_rate(rate: Any) -> int:
    """Return a speaking rate espeak-ng accepts; refuse others."""
    if isinstance(rate, bool) or not isinstance(rate, int) or not RATES[0] <= rate <= RATES[1]:
        raise ConfigurationError(f"[voice] tts_rate is words a minute from {RATES[0]} to "
                                 f"{RATES[1]}, not {rate!r}")
    return rate


class TextToSpeech:
    """Speaks text with espeak-ng as 8 kHz prompts, each made once and kept."""

    def __init__(self, cache_dir: Path | None = None, *, voices: Mapping[str, str] | None = None,
                 rate: int = DEFAULT_RATE, command: str = COMMAND, timeout_s: float = TIMEOUT_S,
                 cache_bytes: int = CACHE_BYTES, disk_bytes: int = FOLDER_BYTES,
                 processes: int = PROCESSES) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.folder = (PromptFolder(self.cache_dir, disk_bytes) if self.cache_dir is not None
                       else None)
        self.voices = {**DEFAULT_VOICES, **_checked_voices(voices or {})}
        self.rate = _checked_rate(rate)
        self.command = command
        self.timeout_s = timeout_s
        self.processes = processes
        self.cache = PromptCache(cache_bytes)
        self._pending: dict[str, asyncio.Task[Prompt]] = {}
        self._limit: asyncio.Semaphore | None = None
        self._limit_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], cache_dir: Path | None = None,
                      **options: Any) -> TextToSpeech:
        """Build the synthesiser `[voice] tts_voices` and `tts_rate` describe."""
        voice = settings.get("voice") or {}
        return cls(cache_dir, voices=voice.get("tts_voices"),
                   rate=voice.get("tts_rate", DEFAULT_RATE), **options)

    def voice_for(self, language: str | None) -> str:
        """Return the espeak-ng voice of a language tag (`en`, `en-US`, `ru_RU`)."""
        tag = (language or "en").strip().lower().replace("_", "-")
        primary = tag.partition("-")[0]
        voice = self.voices.get(tag) or self.voices.get(primary) or primary
        if not _VOICE.fullmatch(voice):
            raise SpeechFailed(f"no espeak-ng voice for the language {language!r}: "
                               f"map it in [voice] tts_voices")
        return voice

    def key(self, text: str, voice: str) -> str:
        """Return the cache key of a text spoken by a voice at this rate (a SHA-256 in hex)."""
        parts = (CACHE_FORMAT, voice, str(self.rate), text)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    # --- speaking ------------------------------------------------------------------------------
    async def speak(self, text: str, language: str | None = "en", *,
                    voice: str | None = None) -> Prompt:
        """Return text spoken in a language's voice (or the given voice) as an 8 kHz prompt."""
        text, voice = self._request(text, language, voice)
        if not text:
            return Prompt(b"")
        key = self.key(text, voice)
        found = self.cache.get(key)
        if found is not None:
            return found
        task = self._pending.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.get_running_loop().create_task(self._make(text, voice, key))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        # a caller who hangs up stops waiting; the synthesis goes on for the others and the cache
        return await asyncio.shield(task)

    def speak_sync(self, text: str, language: str | None = "en", *,
                   voice: str | None = None) -> Prompt:
        """Return text spoken as an 8 kHz prompt, synthesising in this thread when needed."""
        text, voice = self._request(text, language, voice)
        if not text:
            return Prompt(b"")
        key = self.key(text, voice)
        found = self.cache.get(key) or self._from_disk(key)
        if found is None:
            found = self._converted(self._run_sync(text, voice), key)
        self.cache.put(key, found)
        return found

    # --- the steps -----------------------------------------------------------------------------
    def _request(self, text: str, language: str | None, voice: str | None) -> tuple[str, str]:
        """Return the text to speak and its voice; refuse what espeak-ng must not be given."""
        if not isinstance(text, str):
            raise SpeechFailed(f"a text prompt is a string, not {type(text).__name__}")
        text = text.strip()
        if len(text) > MAX_TEXT:
            raise SpeechFailed(f"a text prompt is at most {MAX_TEXT} characters, not {len(text)} "
                               f"(it starts {text[:40]!r})")
        if voice is not None and not _VOICE.fullmatch(voice):
            raise SpeechFailed(f"{voice!r} is not an espeak-ng voice name")
        return text, voice or self.voice_for(language)

    def _settled(self, key: str, task: asyncio.Task[Prompt]) -> None:
        """Forget a finished synthesis; its error, if nobody is left to hear it, is dropped."""
        if self._pending.get(key) is task:
            del self._pending[key]
        if not task.cancelled():
            task.exception()

    async def _make(self, text: str, voice: str, key: str) -> Prompt:
        """Load a prompt from the disk cache, or synthesise, convert and keep it."""
        found = await asyncio.to_thread(self._from_disk, key)
        if found is None:
            async with self._processes():
                wav = await self._run_async(text, voice)
            found = await asyncio.to_thread(self._converted, wav, key)
        self.cache.put(key, found)
        return found

    def _processes(self) -> asyncio.Semaphore:
        """Return this event loop's bound on synthesisers running at once."""
        loop = asyncio.get_running_loop()
        if self._limit is None or self._limit_loop is not loop:
            self._limit, self._limit_loop = asyncio.Semaphore(self.processes), loop
        return self._limit

    def _arguments(self, voice: str) -> list[str]:
        """Return espeak-ng's command line: the text comes on stdin, the WAV goes to stdout."""
        executable = shutil.which(self.command)
        if executable is None:
            raise ConfigurationError(f"text prompts are spoken by espeak-ng, which was not "
                                     f"found ({self.command!r} on PATH): {_INSTALL}")
        return [executable, "--stdin", "-b", "1", "-v", voice, "-s", str(self.rate), "--stdout"]

    async def _run_async(self, text: str, voice: str) -> bytes:
        """Run espeak-ng as an asyncio subprocess; return its WAV output."""
        arguments = self._arguments(voice)
        try:
            process = await asyncio.create_subprocess_exec(
                *arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
        except OSError as exc:
            raise ConfigurationError(f"espeak-ng could not be started ({exc}): "
                                     f"{_INSTALL}") from None
        try:
            out, err = await asyncio.wait_for(process.communicate(text.encode()), self.timeout_s)
        except TimeoutError:
            raise self._too_long(text, voice) from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return self._output(process.returncode, out, err, voice)

    def _run_sync(self, text: str, voice: str) -> bytes:
        """Run espeak-ng in this thread; return its WAV output."""
        try:
            done = subprocess.run(self._arguments(voice), input=text.encode(),
                                  capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise self._too_long(text, voice) from None
        except OSError as exc:
            raise ConfigurationError(f"espeak-ng could not be started ({exc}): "
                                     f"{_INSTALL}") from None
        return self._output(done.returncode, done.stdout, done.stderr, voice)

    def _too_long(self, text: str, voice: str) -> SpeechFailed:
        """Return the error of a synthesis stopped at the time limit."""
        return SpeechFailed(f"espeak-ng took longer than {self.timeout_s:g} s to speak "
                            f"{len(text)} characters with voice {voice!r}, and was stopped")

    def _output(self, status: int | None, out: bytes, err: bytes, voice: str) -> bytes:
        """Return espeak-ng's WAV output; raise SpeechFailed with its message when it failed."""
        if status != 0:
            message = err.decode(errors="replace").strip()[:300] or "no message"
            raise SpeechFailed(f"espeak-ng failed (exit status {status}) with voice "
                               f"{voice!r}: {message}")
        return out

    def _from_disk(self, key: str) -> Prompt | None:
        """Return a prompt kept on disk, or None."""
        return self.folder.get(key) if self.folder is not None else None

    def _converted(self, wav: bytes, key: str) -> Prompt:
        """Convert espeak-ng's WAV to an 8 kHz prompt and keep it on disk."""
        prompt = prompt_from_wav(wav, "espeak-ng's output")
        if self.folder is not None:
            self.folder.put(key, prompt)
        return prompt
