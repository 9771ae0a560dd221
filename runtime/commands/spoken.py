"""The simulator's caller on the voice channel: `speech:TEXT` is spoken, `audio:PATH` played.

`speech:TEXT` is synthesised by the product's TTS at 8 kHz, `audio:PATH` is a WAV recording
(any format runtime.media reads, converted to 8 kHz); either is cut by the endpointer and heard
by the real recogniser against the grammar of the block that waits, as on a call. No speech in
it is a `noinput`, speech outside the grammar or under the threshold a `nomatch`. Other inputs
are keys or already-recognised text, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from blocks.sdk import Input
from runtime.channels import Channel
from runtime.engine import InputSource
from runtime.media import Prompt, TextToSpeech, read_wav
from runtime.speech import Listening

SPEECH, AUDIO = "speech:", "audio:"


def audio_inputs(answers: Iterable[str], base: Path | None = None) -> dict[str, Prompt]:
    """Read every `audio:PATH` answer up front; raise UnreadablePrompt naming a bad file."""
    found = {}
    for answer in answers:
        if answer.startswith(AUDIO):
            path = Path(answer[len(AUDIO):])
            found[answer] = read_wav(path if path.is_absolute() or base is None else base / path)
    return found


class SpokenInputs(InputSource):
    """Scripted answers of a simulated caller, heard by the recogniser when spoken."""

    def __init__(self, answers: Iterable[str], channel: Channel, listening: Listening,
                 speech: TextToSpeech, language: Callable[[], str | None]) -> None:
        self._answers = list(answers)
        self._channel = channel
        self._listening = listening
        self._speech = speech
        self._language = language
        self._audio = audio_inputs(self._answers)

    async def next(self, ask: dict) -> Input | None:
        if not self._answers:
            return None
        text = self._answers.pop(0)
        if text == "":
            return None
        language = self._language()
        if text.startswith(SPEECH):
            pcm = (await self._speech.speak(text[len(SPEECH):], language)).pcm
        elif text.startswith(AUDIO):
            pcm = self._audio[text].pcm
        else:
            return self._channel.parse_input(text)
        return self._listening.hear_recording(pcm, ask, language)
