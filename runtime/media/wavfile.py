"""WAV files in and out: prompt files of any common kind read at 8 kHz, recordings written.

    read_wav(path) -> Prompt                  converted to 8 kHz mono 16-bit on the way in
    prompt_from_wav(data, where) -> Prompt    the same for WAV bytes (a synthesiser's output)
    write_wav(path, pcm)                      8 kHz mono 16-bit, written whole or not at all
    RecordingWriter(path)                     the same, a chunk at a time while a caller speaks

Reading takes what prompt libraries and audio tools write: integer PCM of 8 to 32 bits,
32- or 64-bit floats, and telephony's A-law and µ-law, at any rate and channel count, in the
plain or the extensible format (sox and most editors write 24-bit and multichannel audio in
the latter, which the standard library's `wave` reads only from Python 3.12). Anything else is
an `UnreadablePrompt` naming the file. Writing uses `wave`.
"""

from __future__ import annotations

import os
import struct
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from . import g711
from .conversion import to_telephone
from .errors import UnreadablePrompt
from .prompt import RATE, SAMPLE_BYTES, Prompt

PCM, IEEE_FLOAT, ALAW, MULAW, EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
# the extensible format's sub-format is a GUID: its first two bytes are a plain format tag
_SUBFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")
_WIDTHS = {PCM: (1, 2, 3, 4), IEEE_FLOAT: (4, 8), ALAW: (1,), MULAW: (1,)}
_NAMES = {PCM: "PCM", IEEE_FLOAT: "floating-point", ALAW: "A-law", MULAW: "µ-law"}
MAX_BYTES = 256 * 1024 * 1024  # a prompt file larger than this is a mistake, not a prompt


@dataclass(frozen=True, slots=True)
class WavFormat:
    """What a WAV file's `fmt ` chunk says: encoding, channels, rate and bytes a sample."""

    tag: int
    channels: int
    rate: int
    width: int


def _chunks(data: memoryview) -> Iterator[tuple[bytes, memoryview]]:
    """Yield the RIFF chunks of a WAVE file as (id, body); a body cut short yields what is there."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("it does not start with RIFF....WAVE")
    at = 12
    while at + 8 <= len(data):
        ident, size = bytes(data[at:at + 4]), int.from_bytes(data[at + 4:at + 8], "little")
        yield ident, data[at + 8:at + 8 + size]
        at += 8 + size + (size & 1)  # chunks are padded to an even length


def _format(chunk: memoryview) -> WavFormat:
    """Read a `fmt ` chunk; raise ValueError for encodings this does not read."""
    if len(chunk) < 16:
        raise ValueError("its fmt chunk is too short")
    tag, channels, rate, _, align, _ = struct.unpack_from("<HHIIHH", chunk)
    if tag == EXTENSIBLE:
        if len(chunk) < 40 or bytes(chunk[26:40]) != _SUBFORMAT_TAIL:
            raise ValueError("its extensible format has no sub-format this reads")
        tag = int.from_bytes(chunk[24:26], "little")
    if tag not in _WIDTHS:
        raise ValueError(f"its encoding (format tag {tag:#06x}) is none of PCM, floating-point, "
                         f"A-law or µ-law")
    if channels < 1 or rate < 1:
        raise ValueError(f"it declares {channels} channels at {rate} Hz")
    width = align // channels
    if align % channels or width not in _WIDTHS[tag]:
        raise ValueError(f"{_NAMES[tag]} samples of {8 * width} bits are not read")
    return WavFormat(tag, channels, rate, width)


def parse_wav(data: bytes) -> tuple[WavFormat, memoryview]:
    """Return a WAV file's format and sample bytes; raise ValueError saying what is wrong."""
    found: dict[bytes, memoryview] = {}
    for ident, body in _chunks(memoryview(data)):
        found.setdefault(ident, body)
        if ident == b"data":
            # a streamed WAV (a synthesiser's stdout) declares more than it has and ends here
            break
    if b"fmt " not in found or b"data" not in found:
        raise ValueError("it has no fmt chunk before its data chunk" if b"data" in found
                         else "it has no data chunk")
    return _format(found[b"fmt "]), found[b"data"]


def prompt_from_wav(data: bytes, where: str) -> Prompt:
    """Read the bytes of a WAV file as an 8 kHz prompt; `where` names it in errors."""
    try:
        form, samples = parse_wav(data)
        width = form.width
        if form.tag in (ALAW, MULAW):
            samples = g711.decode(samples, "PCMA" if form.tag == ALAW else "PCMU")
            width = SAMPLE_BYTES
        return Prompt(to_telephone(samples, form.rate, width, form.channels,
                                   floating=form.tag == IEEE_FLOAT))
    except ValueError as exc:
        raise UnreadablePrompt(f"{where} is not a WAV file this reads: {exc}") from None


def read_wav(path: Path) -> Prompt:
    """Read a WAV file as a prompt (8 kHz mono 16-bit); raise UnreadablePrompt naming it."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_BYTES:
                raise UnreadablePrompt(f"{path} has {size:,} bytes: a prompt file has at most "
                                       f"{MAX_BYTES:,}")
            data = file.read()
    except OSError as exc:
        raise UnreadablePrompt(f"{path} cannot be read: {exc.strerror or exc}") from None
    return prompt_from_wav(data, str(path))


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
