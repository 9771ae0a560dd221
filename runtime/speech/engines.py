"""Which recogniser hears a language, from `[speech]` in callwright.toml; one per process each.

    [speech]
    threshold = 0.4          # confidence below which an utterance is a nomatch
    workers = 2              # recognitions at once (decoders kept in memory)
    [speech.models.ru]       # any language but US English needs a model of its own
    model = "models/ru/acoustic"     # a PocketSphinx acoustic model folder
    dictionary = "models/ru/ru.dic"  # its pronouncing dictionary

Paths are relative to the workspace. English uses the model inside the `pocketsphinx` wheel
unless `[speech.models.en]` names another.

`[speech] engine` picks another recogniser: a package registers a factory under the entry point
group `callwright.recognizers`; it is called with the settings, the language (primary subtag)
and the workspace folder, returns a `Recognizer`, and raises SpeechUnavailable saying what to
install or configure when it cannot hear that language.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from blocks.sdk import ConfigurationError
from runtime.plugins import plugin

from .grammar import primary
from .recognizer import DEFAULT_THRESHOLD, Recognizer, SpeechUnavailable

_made: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def speech_settings(settings: Mapping[str, Any]) -> dict:
    """Return the `[speech]` table (empty when the workspace has none)."""
    return dict(settings.get("speech") or {})


RECOGNIZERS = "callwright.recognizers"  # the entry point group of other engines' factories
DEFAULT_ENGINE = "pocketsphinx"


def recognizer_for(settings: Mapping[str, Any], language: str | None,
                   root: Path | None = None) -> Recognizer:
    """Return the recogniser of a language under these settings (made once, then shared).

    Raise SpeechUnavailable naming what to install or configure when there is none.
    """
    speech = speech_settings(settings)
    engine = str(speech.get("engine") or DEFAULT_ENGINE)
    lang = primary(language)
    key = (engine, lang, str(root), repr(sorted(speech.items())))
    with _lock:
        found = _made.get(key)
        if found is not None:
            return found
        try:
            factory = plugin(RECOGNIZERS, engine, {DEFAULT_ENGINE: pocketsphinx_for},
                             "[speech] engine")
        except ConfigurationError as exc:
            raise SpeechUnavailable(str(exc)) from None
        found = factory(settings, lang, root)
        if not isinstance(found, Recognizer):
            raise SpeechUnavailable(f"[speech] engine = {engine!r} made {found!r}, not a "
                                    f"runtime.speech.Recognizer")
        _made[key] = found
        return found


def pocketsphinx_for(settings: Mapping[str, Any], lang: str, root: Path | None) -> Recognizer:
    """Return PocketSphinx for a language: its configured model, or the wheel's US English."""
    from .pocketsphinx import PocketSphinx, wheel_model

    speech = speech_settings(settings)
    configured = (speech.get("models") or {}).get(lang)
    if configured:
        base = root or Path(".")
        model = base / configured["model"]
        dictionary = base / configured["dictionary"]
    elif lang == "en":
        model, dictionary = wheel_model()
    else:
        raise SpeechUnavailable(
            f"no speech model for the language {lang!r}: PocketSphinx ships only US English; "
            f"install a PocketSphinx acoustic model and dictionary for {lang!r} (CMU Sphinx "
            f"publishes them) and name them in callwright.toml as [speech.models.{lang}] "
            f"model = \"DIR\", dictionary = \"FILE\"; until then callers press keys")
    return PocketSphinx(model, dictionary, language=lang,
                        threshold=float(speech.get("threshold", DEFAULT_THRESHOLD)),
                        workers=int(speech.get("workers", 2)))
