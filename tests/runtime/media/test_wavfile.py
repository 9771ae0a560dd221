"""WAV files: any common PCM file read as an 8 kHz prompt; recordings written whole."""

from __future__ import annotations

import struct
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import peak_hz, rms, sine

from runtime.media import g711
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


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    """Return a WAVE file of the given chunks (each padded to an even length)."""
    body = b"".join(ident + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)
                    for ident, data in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def fmt(tag: int, channels: int, rate: int, bits: int, *, extensible: bool = False,
        guid_tail: bytes = bytes.fromhex("000000001000800000aa00389b71")) -> tuple[bytes, bytes]:
    """Return a `fmt ` chunk; extensible puts `tag` in the sub-format GUID."""
    align = channels * ((bits + 7) // 8)
    plain = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align,
                        align, bits)
    if extensible:
        return b"fmt ", plain + struct.pack("<HHIH", 22, bits, 0, tag) + guid_tail
    return b"fmt ", plain


@pytest.mark.parametrize("width", [4, 8])
def test_floating_point_files_read_with_1_0_as_full_scale(tmp_path: Path, width: int) -> None:
    samples = (sine(500, 0.5, 16000) / 32768).astype(f"<f{width}").tobytes()
    path = tmp_path / "float.wav"
    path.write_bytes(riff(fmt(3, 1, 16000, 8 * width), (b"data", samples)))
    prompt = read_wav(path)
    assert prompt.duration_s == 0.5
    assert rms(prompt.pcm[800:-800]) == pytest.approx(10000 / np.sqrt(2), rel=0.01)


@pytest.mark.parametrize(("tag", "codec"), [(6, "PCMA"), (7, "PCMU")])
def test_telephony_a_law_and_mu_law_files_read_as_linear_audio(tmp_path: Path, tag: int,
                                                               codec: str) -> None:
    pcm = tone(700, seconds=1.0).pcm
    path = tmp_path / f"{codec}.wav"
    path.write_bytes(riff(fmt(tag, 1, 8000, 8), (b"data", g711.encode(pcm, codec))))
    assert read_wav(path).pcm == g711.decode(g711.encode(pcm, codec), codec)


@pytest.mark.parametrize(("bits", "channels"), [(24, 1), (16, 6), (32, 2)])
def test_extensible_format_files_read_like_plain_ones(tmp_path: Path, bits: int,
                                                      channels: int) -> None:
    # sox writes 24-bit and multichannel audio in the extensible format
    frames = np.stack([sine(440, 0.25, 48000)] * channels).T * (1 << (bits - 16))
    samples = np.ascontiguousarray(np.rint(frames).astype("<i4")).view(np.uint8).reshape(
        -1, channels, 4)
    data = samples[:, :, :bits // 8].tobytes()
    path = tmp_path / "extensible.wav"
    path.write_bytes(riff(fmt(1, channels, 48000, bits, extensible=True), (b"data", data)))
    prompt = read_wav(path)
    assert prompt.duration_s == 0.25
    assert peak_hz(prompt.pcm) == pytest.approx(440, abs=4)


def test_chunks_other_than_fmt_and_data_are_skipped(tmp_path: Path) -> None:
    pcm = tone(300, seconds=0.1).pcm
    path = tmp_path / "tagged.wav"
    path.write_bytes(riff((b"LIST", b"INFOISFT\x03\0\0\0odd"), fmt(1, 1, 8000, 16),
                          (b"cue ", b"\0" * 4), (b"data", pcm), (b"junk", b"after")))
    assert read_wav(path).pcm == pcm


@pytest.mark.parametrize(("content", "reason"), [
    (b"ID3\x04 this is an mp3", "does not start with RIFF"),
    (b"", "does not start with RIFF"),
    (riff(fmt(2, 1, 8000, 4), (b"data", b"\0" * 8)), r"format tag 0x0002\) is none of"),
    (riff(fmt(1, 1, 8000, 16, extensible=True, guid_tail=bytes(14)), (b"data", b"")),
     "no sub-format this reads"),
    (riff(fmt(1, 1, 8000, 16)), "no data chunk"),
    (riff((b"data", b"\0\0"), fmt(1, 1, 8000, 16)), "no fmt chunk before its data"),
    (riff((b"fmt ", b"\x01\0\x01\0"), (b"data", b"")), "fmt chunk is too short"),
    (riff(fmt(1, 0, 8000, 16), (b"data", b"")), "0 channels"),
    (riff(fmt(1, 1, 8000, 48), (b"data", b"")), "PCM samples of 48 bits"),
    (riff(fmt(3, 1, 8000, 16), (b"data", b"")), "floating-point samples of 16 bits")])
def test_files_that_are_not_wavs_this_reads_are_refused_by_name_and_reason(
        tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "odd.wav"
    path.write_bytes(content)
    with pytest.raises(UnreadablePrompt, match=f"{path} is not a WAV file this reads: .*{reason}"):
        read_wav(path)


def test_a_file_too_large_for_a_prompt_is_refused_by_its_name(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr("runtime.media.wavfile.MAX_BYTES", 1000)
    path = write_wav(tmp_path / "long.wav", bytes(2000))
    with pytest.raises(UnreadablePrompt, match="long.wav has 2,044 bytes: a prompt file has at"):
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
