"""WAV files in and out: any common linear PCM file read as a prompt, recordings written.

    read_wav(path) -> Prompt                  converted to 8 kHz mono 16-bit on the way in
    prompt_from_wav(data, where) -> Prompt    the same for WAV bytes (a synthesiser's output)
    write_wav(path, pcm)                      8 kHz mono 16-bit, written whole or not at all
    RecordingWriter(path)                     the same, a chunk at a time while a caller speaks

Reading uses the standard library's `wave`, so it takes uncompressed integer PCM (format 1):
8-bit to 32-bit, any rate, any number of channels. Anything else is an `UnreadablePrompt`
naming the file.
"""

from __future__ import annotations

import io
import os
import tempfile
import wave
from pathlib import Path
from types import TracebackType

from .conversion import to_telephone
from .errors import UnreadablePrompt
from .prompt import RATE, SAMPLE_BYTES, Prompt


def prompt_from_wav(data: bytes | io.BufferedIOBase, where: str) -> Prompt:
    """Read WAV bytes or a binary file as a prompt; `where` names it in errors."""
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with wave.open(source, "rb") as reader:
            rate, width = reader.getframerate(), reader.getsampwidth()
            channels = reader.getnchannels()
            # a streamed WAV (a synthesiser's stdout) declares more frames than it has
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise UnreadablePrompt(f"{where} is not a WAV file of linear PCM: {exc}") from None
    try:
        return Prompt(to_telephone(frames, rate, width, channels))
    except ValueError as exc:
        raise UnreadablePrompt(f"{where}: {exc}") from None


def read_wav(path: Path) -> Prompt:
    """Read a WAV file as a prompt (8 kHz mono 16-bit); raise UnreadablePrompt naming it."""
    try:
        with open(path, "rb") as file:
            return prompt_from_wav(file, str(path))
    except OSError as exc:
        raise UnreadablePrompt(f"{path} cannot be read: {exc.strerror or exc}") from None


def _wav_writer(file: io.BufferedIOBase, rate: int) -> wave.Wave_write:
    """Open a WAV writer of mono 16-bit PCM at `rate` on a binary file."""
    writer = wave.open(file, "wb")
    writer.setnchannels(1)
    writer.setsampwidth(SAMPLE_BYTES)
    writer.setframerate(rate)
    return writer


def write_wav(path: Path, pcm: bytes, rate: int = RATE) -> Path:
    """Write mono 16-bit PCM as a WAV file, atomically (never a half-written file); return it."""
    if len(pcm) % SAMPLE_BYTES:
        raise ValueError(f"16-bit PCM has an even number of bytes, not {len(pcm)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            with _wav_writer(file, rate) as writer:
                writer.writeframes(pcm)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class RecordingWriter:
    """A WAV file written as a caller speaks: `write(pcm)` chunks, then `close()`.

    The file is 8 kHz mono 16-bit; it is written under a temporary name and takes its own name
    only on `close()`, so a reader never sees a recording still being made. Leaving a `with`
    block on an exception discards it.
    """

    def __init__(self, path: Path, rate: int = RATE) -> None:
        self.path = Path(path)
        self.rate = rate
        self.samples = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                             suffix=".tmp")
        self._temporary = Path(temporary)
        self._file = os.fdopen(handle, "wb")
        self._writer: wave.Wave_write | None = _wav_writer(self._file, rate)

    @property
    def duration_s(self) -> float:
        """Return how much audio has been written, in seconds."""
        return self.samples / self.rate

    def write(self, pcm: bytes) -> None:
        """Append mono 16-bit PCM to the recording."""
        if self._writer is None:
            raise ValueError(f"the recording {self.path} is closed")
        if len(pcm) % SAMPLE_BYTES:
            raise ValueError(f"16-bit PCM has an even number of bytes, not {len(pcm)}")
        self._writer.writeframesraw(pcm)
        self.samples += len(pcm) // SAMPLE_BYTES

    def close(self) -> Path:
        """Finish the file (its header now tells its length) and give it its name; return it."""
        if self._writer is not None:
            self._writer.close()
            self._file.close()
            self._writer = None
            os.replace(self._temporary, self.path)
        return self.path

    def discard(self) -> None:
        """Drop the recording: no file is left behind."""
        if self._writer is not None:
            self._writer.close()
            self._file.close()
            self._writer = None
            self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()
