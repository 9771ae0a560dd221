"""Parts a workspace picks by name: an intent matcher (`[bots] matcher`) and a speech engine
(`[speech] engine`), built in or from an installed package's entry point."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from blocks import default_registry
from blocks.sdk import ConfigurationError
from runtime.speech import Grammar, SpeechUnavailable, recognizer_for
from runtime.workspace import Workspace

PARTS = '''
from runtime.bots import Candidate, Matcher, normalise
from runtime.speech.recognizer import Recognition, Recognizer


class ExactMatcher(Matcher):
    """An intent only for a message that is one of its examples, word for word."""

    def __init__(self, bot):
        super().__init__(bot)
        self.index = {normalise(example): name for name, intent in bot["intents"].items()
                      for examples in intent["examples"].values() for example in examples}

    def match(self, query):
        found = self.index.get(query.text.normal)
        return [Candidate(found, 1.0)] if found else []

    def vocabulary(self, language):
        return frozenset(word for text in self.index for word in text.split())


class Always(Recognizer):
    def __init__(self, language):
        self.language = language

    def recognize(self, pcm, grammar):
        return Recognition(sorted(grammar.phrases.values())[0], 0.99)


def always_first(settings, language, root):
    return Always(language)
'''

ENTRY_POINTS = '''
[callwright.matchers]
exact = partner_parts:ExactMatcher
[callwright.recognizers]
always-first = partner_parts:always_first
broken = partner_parts:no_such_thing
'''

BOT = {"schema": "callwright/bot@1", "id": "tiny", "languages": ["en"],
       "intents": {"balance": {"examples": {"en": ["what is my balance", "my balance"]}},
                   "agent": {"examples": {"en": ["talk to a person", "an agent please"]}}}}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `partner-parts` installed on the path, registering a matcher and engines."""
    site = tmp_path / "site"
    (site / "partner_parts-1.0.dist-info").mkdir(parents=True)
    (site / "partner_parts.py").write_text(textwrap.dedent(PARTS))
    (site / "partner_parts-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: partner-parts\nVersion: 1.0\n")
    (site / "partner_parts-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


def workspace(root: Path, toml: str) -> Path:
    (root / "bots").mkdir(parents=True)
    (root / "bots" / "tiny.json").write_text(json.dumps(BOT))
    (root / "callwright.toml").write_text(toml)
    return root


def test_a_bot_is_matched_by_the_matcher_the_workspace_names(installed, tmp_path):
    root = workspace(tmp_path / "ws", '[bots]\nmatcher = "exact"\n')
    loaded = Workspace.load(root, default_registry())
    assert type(loaded.bot("tiny").matcher).__name__ == "ExactMatcher"
    assert loaded.bot("tiny").classify("My balance!").intent == "balance"
    assert loaded.bot("tiny").classify("my balanse").intent is None  # no typo tolerance


def test_the_lexical_matcher_is_the_default(tmp_path):
    loaded = Workspace.load(workspace(tmp_path / "ws", ""), default_registry())
    assert loaded.bot("tiny").classify("my balanse").intent == "balance"


def test_a_matcher_nothing_provides_is_a_configuration_error_listing_what_is(installed,
                                                                             tmp_path):
    root = workspace(tmp_path / "ws", '[bots]\nmatcher = "semantic"\n')
    with pytest.raises(ConfigurationError) as raised:
        Workspace.load(root, default_registry())
    assert "[bots] matcher = 'semantic'" in str(raised.value)
    assert "installed: exact, lexical" in str(raised.value)


def test_speech_is_heard_by_the_engine_the_workspace_names(installed, tmp_path):
    settings = {"speech": {"engine": "always-first"}}
    recognizer = recognizer_for(settings, "de-DE", tmp_path)  # a language PocketSphinx lacks
    assert recognizer.language == "de"
    heard = recognizer.recognize(b"\0" * 1600, Grammar("de", {"ja": "Ja", "nein": "Nein"}))
    assert heard.text == "Ja"


@pytest.mark.parametrize("engine, says", [
    ("whisper", "no such one is installed (installed: always-first, broken, pocketsphinx)"),
    ("broken", "'partner_parts:no_such_thing' does not load")])
def test_an_engine_that_is_missing_or_broken_is_speech_unavailable_saying_why(
        installed, tmp_path, engine, says):
    with pytest.raises(SpeechUnavailable) as raised:
        recognizer_for({"speech": {"engine": engine}}, "en", tmp_path)
    assert f"[speech] engine = {engine!r}" in str(raised.value) and says in str(raised.value)
