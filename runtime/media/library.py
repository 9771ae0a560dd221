"""The one door a voice backend goes through for audio: port prompts in, 8 kHz prompts out.

    media = MediaLibrary(workspace_root, settings)
    prompt = await media.prompt({"text": "Welcome."}, "en-US")   # spoken by espeak-ng
    prompt = await media.prompt({"audio": "hours_en"})           # prompts/hours_en.wav
    prompt = await media.prompt({"tone": 1000, "duration_s": 0.25})  # a record block's beep
    prompt.frames("PCMU")                                        # 160-byte frames for RTP
    media.write_recording(path, pcm)                             # a record block's WAV file

A port prompt is what `Port.play` receives: `{"text": ...}`, `{"audio": name}` (the
emulator's `duration_s` is ignored here: a file's own length is what plays) or
`{"tone": hz, "duration_s": s}`. A prompt's
language is the argument, else the prompt's own `language`, else English.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import MediaError
from .prompt import RATE, Prompt, tone
from .recorded import RecordedPrompts
from .speech import TextToSpeech
from .wavfile import RecordingWriter, write_wav

PROMPTS = "prompts"  # recorded prompts, in the workspace
SPEECH_CACHE = Path(".callwright") / "tts"  # text prompts once spoken, in the workspace


class MediaLibrary:
    """A workspace's prompts: text spoken by TTS, recordings from `prompts/`, both at 8 kHz."""

    def __init__(self, root: Path, settings: Mapping[str, Any] | None = None, *,
                 speech: TextToSpeech | None = None,
                 recorded: RecordedPrompts | None = None) -> None:
        self.root = Path(root)
        self.speech = speech or TextToSpeech.from_settings(settings or {},
                                                          self.root / SPEECH_CACHE)
        self.recorded = recorded or RecordedPrompts(self.root / PROMPTS)

    async def prompt(self, spec: Mapping[str, Any], language: str | None = None) -> Prompt:
        """Return a port prompt (`{"text"}`, `{"audio"}` or `{"tone"}`) as an 8 kHz prompt."""
        if spec.get("tone"):
            return _tone(spec)
        if spec.get("audio"):
            return await self.recorded.load_async(spec["audio"])
        return await self.speech.speak(self._text(spec), language or spec.get("language"))

    def prompt_sync(self, spec: Mapping[str, Any], language: str | None = None) -> Prompt:
        """Return a port prompt as an 8 kHz prompt, without an event loop (for tools)."""
        if spec.get("tone"):
            return _tone(spec)
        if spec.get("audio"):
            return self.recorded.load(spec["audio"])
        return self.speech.speak_sync(self._text(spec), language or spec.get("language"))

    @staticmethod
    def _text(spec: Mapping[str, Any]) -> str:
        """Return a prompt's text ("" plays nothing); raise MediaError for a prompt of neither."""
        if "text" not in spec:
            raise MediaError(f"a prompt is {{'text': ...}} or {{'audio': name}}, "
                             f"not {dict(spec)!r}")
        return spec["text"] or ""

    def write_recording(self, path: Path, pcm: bytes) -> Path:
        """Write what a caller said (8 kHz mono 16-bit PCM) as a WAV file; return its path."""
        return write_wav(self.root / path, pcm, RATE)

    def recording(self, path: Path) -> RecordingWriter:
        """Return a writer that makes a WAV recording chunk by chunk (relative to the workspace)."""
        return RecordingWriter(self.root / path, RATE)


def _tone(spec: Mapping[str, Any]) -> Prompt:
    """Return the tone a prompt `{"tone": hz, "duration_s": s}` asks for; raise MediaError."""
    try:
        return _made_tone(float(spec["tone"]), float(spec.get("duration_s", 0.25)))
    except (TypeError, ValueError) as exc:
        raise MediaError(f"a tone is {{'tone': hz, 'duration_s': s}}, not {dict(spec)!r}: "
                         f"{exc}") from None


@lru_cache(maxsize=16)
def _made_tone(frequency_hz: float, seconds: float) -> Prompt:
    """Return a tone made once: every call's beep is the same prompt, encoded once per codec."""
    if not 0 < seconds <= 10:
        raise ValueError(f"a tone lasts more than 0 and at most 10 s, not {seconds}")
    return tone(frequency_hz, seconds)
