"""The prompt cache: bounded by bytes of PCM, least recently used first out."""

from __future__ import annotations

import pytest

from runtime.media.cache import PromptCache
from runtime.media.prompt import Prompt


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
