"""Where prompts are kept: in memory and in a folder, bounded, least recently used first out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.media.cache import PromptCache, PromptFolder
from runtime.media.prompt import Prompt, tone


def test_the_least_recently_used_prompt_goes_first_when_the_bytes_run_out() -> None:
    cache = PromptCache(max_bytes=300)
    for key in "abc":
        cache.put(key, Prompt(bytes(100)))
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("d", Prompt(bytes(100)))
    assert "b" not in cache
    assert {"a", "c", "d"} == {key for key in "abcd" if key in cache}
    assert cache.bytes == 300


def test_a_prompt_larger_than_the_cache_is_not_kept() -> None:
    cache = PromptCache(max_bytes=100)
    cache.put("small", Prompt(bytes(50)))
    cache.put("big", Prompt(bytes(200)))
    assert "big" not in cache
    assert "small" in cache


def test_putting_a_key_again_replaces_its_prompt_and_its_size() -> None:
    cache = PromptCache(max_bytes=1000)
    cache.put("a", Prompt(bytes(100)))
    cache.put("a", Prompt(bytes(40)))
    assert cache.bytes == 40
    assert len(cache) == 1
    assert cache.get("a") == Prompt(bytes(40))


def test_a_missing_key_is_none() -> None:
    assert PromptCache(10).get("nothing") is None


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError):
        PromptCache(-1)


def test_a_prompt_kept_in_a_folder_comes_back_the_same(tmp_path: Path) -> None:
    folder = PromptFolder(tmp_path / "tts")
    prompt = tone(seconds=0.5)
    folder.put("abc", prompt)
    assert folder.path("abc") == tmp_path / "tts" / "abc.wav"
    assert folder.get("abc") == prompt
    assert folder.get("other") is None


def test_a_damaged_file_in_the_folder_counts_as_none(tmp_path: Path) -> None:
    folder = PromptFolder(tmp_path)
    folder.path("abc").write_bytes(b"RIFF garbage")
    assert folder.get("abc") is None


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "tts").write_text("a file where the folder should be")
    folder = PromptFolder(tmp_path / "tts")
    folder.put("abc", tone())
    assert folder.get("abc") is None


def test_past_its_size_the_folder_drops_the_prompts_not_heard_for_longest(tmp_path: Path) -> None:
    second = tone(seconds=1.0)  # 16,000 bytes of PCM, 16,044 on disk
    folder = PromptFolder(tmp_path, max_bytes=40_000)
    for age, key in enumerate(["old", "heard", "newer"]):
        folder.put(key, second)
        os.utime(folder.path(key), ns=(10**9 * (age + 1),) * 2)
    assert folder.get("heard") == second  # hearing it makes it the most recently used
    folder.put("newest", second)  # 64,176 bytes on disk: over 40,000, pruned down to 36,000
    assert [key for key in ("old", "newer", "heard", "newest")
            if folder.path(key).exists()] == ["heard", "newest"]


def test_a_folder_written_to_on_and_on_stays_within_its_size(tmp_path: Path) -> None:
    folder = PromptFolder(tmp_path, max_bytes=100_000)
    for index in range(30):
        folder.put(f"p{index}", tone(seconds=1.0))
        assert sum(path.stat().st_size for path in tmp_path.iterdir()) <= 100_000
