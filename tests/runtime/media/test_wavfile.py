"""WAV files: any common PCM file read as an 8 kHz prompt; recordings written whole."""

from __future__ import annotations

import struct
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import peak_hz, sine

from runtime.media.errors import UnreadablePrompt
from runtime.media.prompt import tone
from runtime.media.wavfile import RecordingWriter, prompt_from_wav, read_wav, write_wav


def test_a_44_1_khz_stereo_file_reads_as_8_khz_mono_of_its_length(
        wav_file: Callable[..., Path]) -> None:
    path = wav_file("stereo.wav", np.stack([sine(440, 2.5, 44100)] * 2), 44100)
    prompt = read_wav(path)
    assert prompt.duration_s == 2.5
    assert peak_hz(prompt.pcm) == pytest.approx(440, abs=1)


def test_a_16_khz_file_reads_as_8_khz_of_its_length(wav_file: Callable[..., Path]) -> None:
    prompt = read_wav(wav_file("wide.wav", sine(800, 0.75, 16000), 16000))
    assert prompt.duration_s == 0.75
    assert peak_hz(prompt.pcm) == pytest.approx(800, abs=2)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_8_24_and_32_bit_files_read_as_16_bit_audio(wav_file: Callable[..., Path],
                                                    width: int) -> None:
    prompt = read_wav(wav_file(f"w{width}.wav", sine(600, 0.5, 22050), 22050, width))
    assert prompt.duration_s == 0.5
    assert peak_hz(prompt.pcm) == pytest.approx(600, abs=2)


def test_a_file_that_is_not_a_wav_is_refused_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    path.write_bytes(b"ID3\x04 this is an mp3")
    with pytest.raises(UnreadablePrompt, match=f"{path} is not a WAV file"):
        read_wav(path)


def test_an_empty_file_is_refused_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(UnreadablePrompt, match="empty.wav is not a WAV file"):
        read_wav(path)


def test_a_floating_point_wav_is_refused_by_its_name(tmp_path: Path) -> None:
    samples = struct.pack("<4f", 0.0, 0.5, -0.5, 0.0)
    fmt = struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)  # format 3: IEEE float
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack(
        "<I", len(samples)) + samples
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(UnreadablePrompt, match="float.wav is not a WAV file of linear PCM"):
        read_wav(path)


def test_a_file_that_cannot_be_opened_is_refused_by_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    with pytest.raises(UnreadablePrompt, match="folder.wav cannot be read"):
        read_wav(folder)


def test_a_streamed_wav_that_declares_more_than_it_holds_reads_what_it_holds() -> None:
    # espeak-ng's --stdout writes a header of maximal length before it knows the length
    samples = tone(500, seconds=0.5).pcm
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 0x7FFFFFFF, b"WAVE", b"fmt ", 16, 1, 1,
                         8000, 16000, 2, 16, b"data", 0x7FFFFFFF)
    assert prompt_from_wav(header + samples, "a stream").pcm == samples


def test_a_written_recording_is_8_khz_mono_16_bit(tmp_path: Path) -> None:
    pcm = tone(700, seconds=1.25).pcm
    path = write_wav(tmp_path / "calls" / "r1.wav", pcm)
    with wave.open(str(path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
        assert reader.readframes(reader.getnframes()) == pcm
    assert read_wav(path).pcm == pcm
    assert [p.name for p in path.parent.iterdir()] == ["r1.wav"]  # no temporary file is left


def test_a_recording_written_chunk_by_chunk_is_one_file_once_closed(tmp_path: Path) -> None:
    path = tmp_path / "r2.wav"
    with RecordingWriter(path) as recording:
        for _ in range(50):
            recording.write(bytes(320))  # 20 ms a chunk, as RTP brings it
        assert not path.exists()  # nobody sees a recording still being made
        assert recording.duration_s == 1.0
    assert read_wav(path).duration_s == 1.0


def test_a_recording_interrupted_by_an_error_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), RecordingWriter(tmp_path / "r3.wav") as recording:
        recording.write(bytes(320))
        raise RuntimeError("the call dropped")
    assert list(tmp_path.iterdir()) == []


def test_a_closed_recording_takes_no_more_audio(tmp_path: Path) -> None:
    recording = RecordingWriter(tmp_path / "r4.wav")
    assert recording.close() == tmp_path / "r4.wav"
    with pytest.raises(ValueError, match="closed"):
        recording.write(bytes(2))
    assert read_wav(tmp_path / "r4.wav").duration_s == 0


def test_odd_pcm_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        write_wav(tmp_path / "odd.wav", b"\x00")
    assert not (tmp_path / "odd.wav").exists()
