"""Audio for voice calls: text spoken by TTS, recorded prompts, G.711 for the wire.

`MediaLibrary(root, settings)` is the face a voice backend uses: `await prompt(spec, language)`
turns a port prompt (`{"text": ...}` or `{"audio": name}`) into a `Prompt` of 8 kHz mono
16-bit PCM whose `frames("PCMU" | "PCMA")` are the 20 ms G.711 payloads to send, encoded once.
`write_recording` and `recording` write what a caller says as WAV files. Every failure is a
`MediaError` naming the prompt, except a missing espeak-ng, a `ConfigurationError`.
"""

from .conversion import to_telephone
from .errors import (InvalidPromptName, MediaError, PromptNotFound, SpeechFailed,
                     UnreadablePrompt)
from .g711 import CODECS, PAYLOAD_TYPES, SILENCE, decode, encode
from .library import MediaLibrary
from .prompt import FRAME_MS, FRAME_SAMPLES, RATE, Prompt, silence, tone
from .recorded import RecordedPrompts
from .speech import TextToSpeech
from .wavfile import RecordingWriter, prompt_from_wav, read_wav, write_wav

__all__ = ["CODECS", "FRAME_MS", "FRAME_SAMPLES", "PAYLOAD_TYPES", "RATE", "SILENCE",
           "InvalidPromptName", "MediaError", "MediaLibrary", "Prompt", "PromptNotFound",
           "RecordedPrompts", "RecordingWriter", "SpeechFailed", "TextToSpeech",
           "UnreadablePrompt", "decode", "encode", "prompt_from_wav", "read_wav", "silence",
           "to_telephone", "tone", "write_wav"]
