"""Text prompts spoken by espeak-ng at 8 kHz, by the session's language, each made once."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from audio import rms

from blocks.sdk import ConfigurationError
from runtime.media.errors import SpeechFailed
from runtime.media.speech import MAX_TEXT, TextToSpeech
from runtime.media.wavfile import read_wav

ENGLISH = "Welcome to Acme Bank. For your balance, press one."
RUSSIAN = "Добро пожаловать в банк. Чтобы узнать баланс, нажмите один."


class CountedEspeak:
    """espeak-ng behind a script that notes each run, so a test can count the processes."""

    def __init__(self, folder: Path, espeak_ng: str) -> None:
        self.log = folder / "runs.log"
        self.command = str(folder / "espeak-counted")
        Path(self.command).write_text(f'#!/bin/sh\necho run >> "{self.log}"\n'
                                      f'exec "{espeak_ng}" "$@"\n')
        Path(self.command).chmod(0o755)

    @property
    def runs(self) -> int:
        """Return how many times espeak-ng has been run."""
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


@pytest.fixture
def espeak(tmp_path: Path, espeak_ng: str) -> CountedEspeak:
    """Return espeak-ng counted."""
    return CountedEspeak(tmp_path, espeak_ng)


@pytest.fixture
def speech(tmp_path: Path, espeak: CountedEspeak) -> TextToSpeech:
    """Return a synthesiser with its disk cache in tmp_path/tts, running the counted espeak-ng."""
    return TextToSpeech(tmp_path / "tts", command=espeak.command)


def script(folder: Path, body: str) -> str:
    """Write an executable shell script standing in for espeak-ng; return its path."""
    path = folder / "fake-espeak"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


# --- what is spoken ------------------------------------------------------------------------------
def test_an_english_sentence_is_spoken_at_8_khz(speech: TextToSpeech) -> None:
    prompt = speech.speak_sync(ENGLISH, "en-US")
    assert 2.0 < prompt.duration_s < 6.0  # nine words at 175 words a minute, with pauses
    assert rms(prompt.pcm) > 1000  # speech, not silence
    assert len(prompt.frames("PCMU")) == -(-prompt.samples // 160)


def test_a_russian_sentence_is_spoken_at_8_khz(speech: TextToSpeech) -> None:
    prompt = asyncio.run(speech.speak(RUSSIAN, "ru"))
    assert 2.0 < prompt.duration_s < 8.0
    assert rms(prompt.pcm) > 1000


def test_the_language_chooses_the_voice_and_voices_sound_different(
        speech: TextToSpeech) -> None:
    english = speech.speak_sync("Hello, one two three.", "en")
    russian = speech.speak_sync("Hello, one two three.", "ru")
    british = speech.speak_sync("Hello, one two three.", voice="en-gb")
    assert len({english.pcm, russian.pcm, british.pcm}) == 3


def test_a_faster_rate_speaks_in_less_time(tmp_path: Path, espeak: CountedEspeak) -> None:
    slow = TextToSpeech(command=espeak.command, rate=120).speak_sync(ENGLISH)
    fast = TextToSpeech(command=espeak.command, rate=300).speak_sync(ENGLISH)
    assert fast.duration_s < 0.7 * slow.duration_s


def test_the_event_loop_and_tools_hear_the_same_audio(tmp_path: Path,
                                                      espeak: CountedEspeak) -> None:
    spoken = asyncio.run(TextToSpeech(command=espeak.command).speak(ENGLISH))
    assert TextToSpeech(command=espeak.command).speak_sync(ENGLISH) == spoken


def test_text_is_never_read_as_options_or_by_a_shell(speech: TextToSpeech, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    prompt = speech.speak_sync('-v ru --stdout -w out.wav $(touch pwned) `touch pwned`; "x', "en")
    assert rms(prompt.pcm) > 1000
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "out.wav").exists()


def test_empty_text_is_no_audio_and_runs_nothing(speech: TextToSpeech,
                                                 espeak: CountedEspeak) -> None:
    assert speech.speak_sync("  \n ").duration_s == 0
    assert asyncio.run(speech.speak("")).duration_s == 0
    assert espeak.runs == 0


# --- made once -----------------------------------------------------------------------------------
def test_a_prompt_spoken_again_runs_no_second_process(speech: TextToSpeech,
                                                      espeak: CountedEspeak) -> None:
    first = speech.speak_sync(ENGLISH, "en")
    assert espeak.runs == 1
    assert speech.speak_sync(ENGLISH, "en-GB") is first  # the same voice: en has no en-gb entry
    assert asyncio.run(speech.speak(ENGLISH, "en")) is first
    assert espeak.runs == 1


def test_a_restarted_runtime_speaks_from_the_disk_cache(tmp_path: Path,
                                                        espeak: CountedEspeak) -> None:
    spoken = TextToSpeech(tmp_path / "tts", command=espeak.command).speak_sync(RUSSIAN, "ru")
    kept = list((tmp_path / "tts").iterdir())
    assert [path.suffix for path in kept] == [".wav"]
    assert read_wav(kept[0]) == spoken  # kept at 8 kHz, as played
    again = asyncio.run(TextToSpeech(tmp_path / "tts", command=espeak.command).speak(RUSSIAN,
                                                                                     "ru"))
    assert again == spoken
    assert espeak.runs == 1


def test_text_voice_and_rate_each_make_a_new_prompt(tmp_path: Path,
                                                    espeak: CountedEspeak) -> None:
    cache = tmp_path / "tts"
    TextToSpeech(cache, command=espeak.command).speak_sync("One.", "en")
    TextToSpeech(cache, command=espeak.command).speak_sync("Two.", "en")
    TextToSpeech(cache, command=espeak.command).speak_sync("One.", "ru")
    TextToSpeech(cache, command=espeak.command, rate=200).speak_sync("One.", "en")
    assert espeak.runs == 4
    assert len(list(cache.iterdir())) == 4


def test_callers_asking_at_once_share_one_process(speech: TextToSpeech,
                                                  espeak: CountedEspeak) -> None:
    async def many() -> list:
        """Ask for one prompt from five calls at once."""
        return await asyncio.gather(*(speech.speak(ENGLISH, "en") for _ in range(5)))
    prompts = asyncio.run(many())
    assert espeak.runs == 1
    assert all(prompt is prompts[0] for prompt in prompts)


def test_a_caller_who_stops_waiting_does_not_stop_the_others(speech: TextToSpeech,
                                                             espeak: CountedEspeak) -> None:
    async def one_hangs_up() -> object:
        """Ask twice; cancel the first (its caller hung up); return what the second got."""
        first = asyncio.ensure_future(speech.speak(RUSSIAN, "ru"))
        second = asyncio.ensure_future(speech.speak(RUSSIAN, "ru"))
        await asyncio.sleep(0)
        first.cancel()
        return await second
    prompt = asyncio.run(one_hangs_up())
    assert rms(prompt.pcm) > 1000
    assert speech.speak_sync(RUSSIAN, "ru") is prompt
    assert espeak.runs == 1


def test_a_damaged_cache_file_is_spoken_anew(tmp_path: Path, espeak: CountedEspeak) -> None:
    first = TextToSpeech(tmp_path / "tts", command=espeak.command).speak_sync(ENGLISH)
    next((tmp_path / "tts").iterdir()).write_bytes(b"garbage")
    again = TextToSpeech(tmp_path / "tts", command=espeak.command).speak_sync(ENGLISH)
    assert again == first
    assert espeak.runs == 2


def test_an_unwritable_cache_folder_still_speaks(tmp_path: Path, espeak: CountedEspeak) -> None:
    (tmp_path / "tts").write_text("a file where the folder should be")
    prompt = TextToSpeech(tmp_path / "tts", command=espeak.command).speak_sync(ENGLISH)
    assert rms(prompt.pcm) > 1000


# --- voices and settings -------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "voice"), [
    ("en", "en-us"), ("en-US", "en-us"), ("en_GB", "en-us"), ("ru", "ru"), ("ru-RU", "ru"),
    (None, "en-us"), ("de-DE", "de")])
def test_each_language_has_a_voice(language: str | None, voice: str) -> None:
    assert TextToSpeech().voice_for(language) == voice


def test_settings_choose_voices_by_language_or_full_tag_and_the_rate() -> None:
    speech = TextToSpeech.from_settings({"voice": {"tts_voices": {"en": "en-gb",
                                                                  "en-US": "en-us-nyc"},
                                                   "tts_rate": 150}})
    assert speech.voice_for("en") == "en-gb"
    assert speech.voice_for("en-AU") == "en-gb"
    assert speech.voice_for("en-us") == "en-us-nyc"
    assert speech.voice_for("ru") == "ru"
    assert speech.rate == 150
    assert TextToSpeech.from_settings({}).rate == 175


@pytest.mark.parametrize(("key", "value"), [("tts_voices", {"en": "-x; rm -rf /"}),
                                            ("tts_voices", {"ru": ""}), ("tts_rate", 30)])
def test_bad_voice_settings_are_configuration_errors_naming_the_setting(key: str,
                                                                        value: object) -> None:
    with pytest.raises(ConfigurationError, match=rf"\[voice\] {key}"):
        TextToSpeech.from_settings({"voice": {key: value}})


@pytest.mark.parametrize("rate", [True, "fast", 79, 451, 175.5])
def test_a_rate_espeak_ng_does_not_take_is_refused(rate: object) -> None:
    with pytest.raises(ConfigurationError, match="words a minute from 80 to 450"):
        TextToSpeech(rate=rate)  # type: ignore[arg-type]


def test_a_voice_espeak_ng_does_not_have_fails_with_its_message(espeak_ng: str) -> None:
    speech = TextToSpeech(voices={"en": "xx-nosuch"})
    with pytest.raises(SpeechFailed, match="voice 'xx-nosuch'.*does not exist"):
        speech.speak_sync(ENGLISH, "en")
    with pytest.raises(SpeechFailed, match="voice 'xx-nosuch'.*does not exist"):
        asyncio.run(speech.speak(ENGLISH, "en"))


# --- limits and failures -------------------------------------------------------------------------
def test_text_longer_than_the_cap_is_refused_before_any_process(speech: TextToSpeech,
                                                                espeak: CountedEspeak) -> None:
    with pytest.raises(SpeechFailed, match=f"at most {MAX_TEXT} characters"):
        speech.speak_sync("a" * (MAX_TEXT + 1))
    with pytest.raises(SpeechFailed, match="is a string"):
        speech.speak_sync(42)  # type: ignore[arg-type]
    assert espeak.runs == 0


def test_without_espeak_ng_the_error_says_to_install_it(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    speech = TextToSpeech(tmp_path / "tts")
    with pytest.raises(ConfigurationError, match=r"install the Debian package espeak-ng"):
        speech.speak_sync(ENGLISH)
    with pytest.raises(ConfigurationError, match=r"apt-get install espeak-ng"):
        asyncio.run(speech.speak(ENGLISH))


def test_a_synthesiser_that_hangs_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    hangs = script(tmp_path, f'exec "{sys.executable}" -c "import time; time.sleep(30)"')
    speech = TextToSpeech(command=hangs, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(SpeechFailed, match=r"longer than 0.5 s .* and was stopped"):
        speech.speak_sync(ENGLISH)
    with pytest.raises(SpeechFailed, match=r"longer than 0.5 s"):
        asyncio.run(speech.speak(ENGLISH))
    assert time.monotonic() - started < 10


def test_a_synthesiser_that_fails_is_an_error_with_its_message(tmp_path: Path) -> None:
    fails = script(tmp_path, "echo 'out of memory' >&2; exit 3")
    speech = TextToSpeech(command=fails)
    with pytest.raises(SpeechFailed, match=r"exit status 3.*out of memory"):
        speech.speak_sync(ENGLISH)
    with pytest.raises(SpeechFailed, match=r"exit status 3.*out of memory"):
        asyncio.run(speech.speak(ENGLISH))


def test_a_failed_synthesis_is_not_kept(tmp_path: Path) -> None:
    speech = TextToSpeech(tmp_path / "tts", command=script(tmp_path, "exit 1"))
    for _ in range(2):
        with pytest.raises(SpeechFailed):
            asyncio.run(speech.speak(ENGLISH))
    assert not (tmp_path / "tts").exists()
    assert len(speech.cache) == 0
