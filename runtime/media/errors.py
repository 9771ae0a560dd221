"""The media package's exceptions: every one is a `MediaError`, so a backend catches one name."""

from __future__ import annotations

from runtime.errors import EngineError


class MediaError(EngineError):
    """A prompt could not be made or played; the message names the prompt and why."""

    code = "media_error"


class InvalidPromptName(MediaError):
    """A recorded prompt's name would reach outside the workspace's `prompts/` folder."""

    code = "invalid_prompt_name"


class PromptNotFound(MediaError):
    """No file in `prompts/` has the recorded prompt's name."""

    code = "prompt_not_found"


class UnreadablePrompt(MediaError):
    """A prompt file exists but is not a WAV file this package can read."""

    code = "unreadable_prompt"


class SpeechFailed(MediaError):
    """The speech synthesiser failed, took too long, or was given text it refuses."""

    code = "speech_failed"
