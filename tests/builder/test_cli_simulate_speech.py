"""`simulate --channel voice` hears `speech:TEXT` and `audio:PATH` with the real recogniser."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import soxr
import pytest
from click.testing import CliRunner
from needs import program

from builder.cli import main
from runtime.media import TextToSpeech

NOW = "2026-12-02T10:00:00"  # a Wednesday morning: the bank is open


@pytest.fixture(autouse=True)
def _espeak() -> None:
    """Every speech input here is synthesised by espeak-ng (required under CI)."""
    program("espeak-ng", "espeak-ng")


def simulate(workspace: Path, *inputs: str):
    flow = str(workspace / "flows" / "bank-ivr.json")
    argv = ["simulate", flow, "--channel", "voice", "--now", NOW]
    for value in inputs:
        argv += ["--input", value]
    result = CliRunner().invoke(main, argv)
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def inputs_of(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["event"] in ("input", "noinput")]


def write_wav(path: Path, pcm: bytes, rate: int = 8000) -> str:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return str(path)


def test_a_spoken_menu_label_takes_its_branch_with_mode_and_confidence(example_workspace):
    result, lines = simulate(example_workspace, "speech:lost card")
    heard = inputs_of(lines)[0]
    assert heard["text"] == "Lost card" and heard["mode"] == "speech"
    assert 0 < heard["confidence"] <= 1
    assert any(line.get("block") == "card_blocked" or line.get("block", "").startswith("card")
               for line in lines[lines.index(heard):]), lines


def test_a_spoken_synonym_selects_its_option(example_workspace):
    _, lines = simulate(example_workspace, "speech:operator")
    assert inputs_of(lines)[0]["text"] == "operator"


def test_speech_outside_the_menu_is_a_nomatch_and_keys_still_answer(example_workspace):
    _, lines = simulate(example_workspace, "speech:what time is it", "1")
    first, second = inputs_of(lines)[:2]
    assert first == {"event": "input", "text": "", "mode": "speech", "confidence": 0.0}
    assert second == {"event": "input", "text": "1", "mode": "dtmf"}


def test_a_wav_recording_is_heard_at_any_rate(example_workspace, tmp_path):
    speech = TextToSpeech().speak_sync("balance", "en").pcm
    samples = np.frombuffer(speech, dtype="<i2").astype(np.float32)
    wide = soxr.resample(samples, 8000, 16000).astype("<i2").tobytes()  # read back at 8 kHz
    _, lines = simulate(example_workspace, "audio:" + write_wav(tmp_path / "b.wav", wide, 16000))
    assert inputs_of(lines)[0]["text"] == "Balance"


def test_a_silent_recording_is_a_noinput(example_workspace, tmp_path):
    _, lines = simulate(example_workspace, "audio:" + write_wav(tmp_path / "s.wav", bytes(32000)))
    assert inputs_of(lines)[0] == {"event": "noinput", "block": "main_menu"}


def test_noise_is_a_nomatch_never_a_crash(example_workspace, tmp_path):
    noise = np.random.default_rng(7).normal(0, 4000, 16000).clip(-32768, 32767).astype("<i2")
    result, lines = simulate(example_workspace,
                             "audio:" + write_wav(tmp_path / "n.wav", noise.tobytes()))
    assert result.exit_code == 0
    heard = inputs_of(lines)[0]
    assert heard["event"] == "input" and heard["text"] == ""


def test_a_wav_of_the_wrong_format_is_exit_2_naming_the_file(example_workspace, tmp_path):
    fake = tmp_path / "song.wav"
    fake.write_bytes(b"ID3\x04" + bytes(100))  # an MP3 named .wav
    result, lines = simulate(example_workspace, "audio:" + str(fake))
    assert result.exit_code == 2 and str(fake) in result.stderr and lines == []
    missing = tmp_path / "missing.wav"
    result, _ = simulate(example_workspace, "audio:" + str(missing))
    assert result.exit_code == 2 and str(missing) in result.stderr


def test_a_hum_is_a_nomatch_not_an_option(example_workspace, tmp_path):
    hum = (4000 * np.sin(np.arange(16000) * 2 * np.pi * 150 / 8000)).astype("<i2")
    _, lines = simulate(example_workspace, "audio:" + write_wav(tmp_path / "h.wav", hum.tobytes()))
    assert inputs_of(lines)[0] == {"event": "input", "text": "", "mode": "speech",
                                   "confidence": 0.0}
