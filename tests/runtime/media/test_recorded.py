"""Recorded prompts: files of the prompts folder by name, converted once, never from outside."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import peak_hz, sine

from runtime.media.errors import InvalidPromptName, PromptNotFound, UnreadablePrompt
from runtime.media.recorded import RecordedPrompts


@pytest.fixture
def prompts(tmp_path: Path, wav_file: Callable[..., Path]) -> RecordedPrompts:
    """Return the recorded prompts of a folder holding hours_en.wav and en/menu.wav."""
    wav_file("prompts/hours_en.wav", sine(440, 1.0, 44100), 44100)
    wav_file("prompts/en/menu.wav", np.stack([sine(880, 0.5, 16000)] * 2), 16000)
    (tmp_path / "secret.wav").write_bytes((tmp_path / "prompts/hours_en.wav").read_bytes())
    return RecordedPrompts(tmp_path / "prompts")


@pytest.mark.parametrize("name", ["hours_en", "hours_en.wav"])
def test_a_prompt_is_found_by_its_name_with_or_without_wav(prompts: RecordedPrompts,
                                                           name: str) -> None:
    prompt = prompts.load(name)
    assert prompt.duration_s == 1.0
    assert peak_hz(prompt.pcm) == pytest.approx(440, abs=1)


def test_a_prompt_in_a_subfolder_is_found_by_its_path(prompts: RecordedPrompts) -> None:
    assert prompts.load("en/menu").duration_s == 0.5


def test_a_prompt_loads_the_same_on_the_event_loop(prompts: RecordedPrompts) -> None:
    assert asyncio.run(prompts.load_async("en/menu")) == prompts.load("en/menu")


def test_a_missing_prompt_is_an_error_naming_the_file(prompts: RecordedPrompts) -> None:
    with pytest.raises(PromptNotFound, match=r"'goodbye'.*prompts/goodbye\.wav does not exist"):
        prompts.load("goodbye")


def test_a_prompt_that_is_not_a_wav_is_an_error_naming_the_file(prompts: RecordedPrompts) -> None:
    (prompts.folder / "broken.wav").write_text("not audio")
    with pytest.raises(UnreadablePrompt, match=r"prompts/broken\.wav is not a WAV file"):
        prompts.load("broken")


@pytest.mark.parametrize("name", [
    "../secret", "../secret.wav", "en/../../secret", "/etc/passwd", "//etc/passwd", "./hours_en",
    ".hidden", "en/.hidden", "en//menu", "en\\menu", "hours\x00en", "", "x" * 256])
def test_names_that_are_not_plain_names_inside_the_folder_are_refused(
        prompts: RecordedPrompts, name: str) -> None:
    with pytest.raises(InvalidPromptName):
        prompts.load(name)


def test_a_link_that_leads_out_of_the_folder_is_refused(prompts: RecordedPrompts) -> None:
    (prompts.folder / "sneaky.wav").symlink_to(prompts.folder.parent / "secret.wav")
    with pytest.raises(InvalidPromptName, match="leads outside"):
        prompts.load("sneaky")


def test_a_name_that_is_not_text_is_refused(prompts: RecordedPrompts) -> None:
    with pytest.raises(InvalidPromptName):
        prompts.load(42)  # type: ignore[arg-type]


def test_a_prompt_is_converted_once(prompts: RecordedPrompts,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = prompts.load("hours_en")
    monkeypatch.setattr("runtime.media.recorded.read_wav", None)  # a second read would fail
    assert prompts.load("hours_en") is first
    assert prompts.load("hours_en.wav") is first


def test_a_prompt_replaced_on_disk_is_heard_anew(prompts: RecordedPrompts,
                                                 wav_file: Callable[..., Path]) -> None:
    before = prompts.load("hours_en")
    path = wav_file("prompts/hours_en.wav", sine(1000, 2.0, 8000), 8000)
    os.utime(path, ns=(1, 1))  # a different change time, however fast the test runs
    after = prompts.load("hours_en")
    assert after.duration_s == 2.0
    assert after != before
