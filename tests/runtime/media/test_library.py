"""The media library: a port prompt in, an 8 kHz prompt with its G.711 frames out."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from audio import rms, sine

from runtime.media import MediaError, MediaLibrary, Prompt, PromptNotFound, tone
from runtime.workspace.settings import SettingsError, load_settings


@pytest.fixture
def media(tmp_path: Path, wav_file: Callable[..., Path], espeak_ng: str) -> MediaLibrary:
    """Return the media of a workspace in tmp_path with one recorded prompt, hours_en.wav."""
    wav_file("prompts/hours_en.wav", sine(440, 1.5, 48000), 48000)
    return MediaLibrary(tmp_path, {"voice": {"tts_rate": 160}})


def test_a_text_prompt_is_spoken_in_the_sessions_language(media: MediaLibrary,
                                                          tmp_path: Path) -> None:
    english = asyncio.run(media.prompt({"text": "Press one."}, "en-US"))
    russian = asyncio.run(media.prompt({"text": "Press one."}, "ru"))
    assert rms(english.pcm) > 1000 and rms(russian.pcm) > 1000
    assert english != russian
    assert len(list((tmp_path / ".callwright" / "tts").glob("*.wav"))) == 2


def test_a_prompt_may_carry_its_own_language(media: MediaLibrary) -> None:
    assert asyncio.run(media.prompt({"text": "Да.", "language": "ru"})) == asyncio.run(
        media.prompt({"text": "Да."}, "ru"))


def test_an_audio_prompt_is_the_recorded_file_at_8_khz(media: MediaLibrary) -> None:
    prompt = asyncio.run(media.prompt({"audio": "hours_en", "duration_s": 9}))
    assert prompt.duration_s == 1.5  # the file's own length, not the one declared
    assert [len(frame) for frame in prompt.frames("PCMA")] == [160] * 75


def test_tools_get_the_same_prompts_without_an_event_loop(media: MediaLibrary) -> None:
    assert media.prompt_sync({"audio": "hours_en"}) == asyncio.run(
        media.prompt({"audio": "hours_en"}))
    assert media.prompt_sync({"text": "Goodbye."}, "en") == asyncio.run(
        media.prompt({"text": "Goodbye."}, "en"))


def test_an_ask_with_no_prompt_text_plays_nothing(media: MediaLibrary) -> None:
    silent = asyncio.run(media.prompt({"text": "", "input": {"kind": "digits"}}))
    assert silent == Prompt(b"")


def test_a_prompt_of_neither_text_nor_audio_is_an_error(media: MediaLibrary) -> None:
    with pytest.raises(MediaError, match="a prompt is"):
        asyncio.run(media.prompt({"speak": "Hello"}))


def test_a_missing_recording_is_an_error_naming_it(media: MediaLibrary) -> None:
    with pytest.raises(PromptNotFound, match="goodbye_en"):
        asyncio.run(media.prompt({"audio": "goodbye_en"}))


def test_the_settings_rate_is_used(media: MediaLibrary) -> None:
    assert media.speech.rate == 160


def test_a_recording_is_written_under_the_workspace_as_8_khz_wav(media: MediaLibrary,
                                                                  tmp_path: Path) -> None:
    path = media.write_recording(Path("recordings") / "call-1.wav", tone(seconds=2.0).pcm)
    assert path == tmp_path / "recordings" / "call-1.wav"
    with wave.open(str(path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getnframes()) == (8000, 1,
                                                                                       16000)
    with media.recording(Path("recordings") / "call-2.wav") as recording:
        recording.write(bytes(160 * 2 * 10))
    assert (tmp_path / "recordings" / "call-2.wav").stat().st_size == 44 + 3200


def test_the_workspace_settings_choose_voices_and_rate(tmp_path: Path) -> None:
    (tmp_path / "callwright.toml").write_text('[voice]\ntts_voices = {en = "en-gb", ru = "ru"}\n'
                                              'tts_rate = 200\n')
    media = MediaLibrary(tmp_path, load_settings(tmp_path))
    assert media.speech.voice_for("en-US") == "en-gb"
    assert media.speech.rate == 200


@pytest.mark.parametrize("setting", ['tts_rate = 20', 'tts_voices = {en = "en us"}',
                                     'tts_voices = {"../x" = "en"}'])
def test_voice_settings_espeak_ng_cannot_take_are_refused_on_load(tmp_path: Path,
                                                                  setting: str) -> None:
    (tmp_path / "callwright.toml").write_text(f"[voice]\n{setting}\n")
    with pytest.raises(SettingsError, match="/voice/tts_"):
        load_settings(tmp_path)


def test_a_tone_prompt_is_made_once_as_the_sine_it_names(tmp_path: Path) -> None:
    media = MediaLibrary(tmp_path)
    beep = asyncio.run(media.prompt({"tone": 1000, "duration_s": 0.25}))
    assert beep == tone(1000, 0.25)
    # every call's beep is one prompt, so its G.711 frames are encoded once
    assert media.prompt_sync({"tone": 1000, "duration_s": 0.25}) is beep


@pytest.mark.parametrize("spec", [{"tone": "loud"}, {"tone": 5000}, {"tone": 1000,
                                                                     "duration_s": 0},
                                  {"tone": 1000, "duration_s": 60}])
def test_a_tone_that_cannot_be_made_is_a_media_error_naming_it(tmp_path: Path, spec) -> None:
    with pytest.raises(MediaError, match="a tone is"):
        MediaLibrary(tmp_path).prompt_sync(spec)
