"""The responses library: named auto-responses, their variant for a channel and language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from runtime.validation import Problem, flow_id_problems, locate, read_json, validate_responses

# what a response or a variant says or sends; `text`, `subject` and `html` are templates
CONTENT = ("text", "audio", "subject", "html", "quick_replies")
TEMPLATED = ("text", "subject", "html")
NAME = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)/([A-Za-z0-9_][A-Za-z0-9_.-]*)$")
# from the most specific variant to the least: (names the channel, names the language)
_ORDER = ((True, True), (False, True), (True, False))


class UnknownResponse(LookupError):
    """A `set/name` that names no response of the workspace."""


def choose(response: Mapping[str, Any], channel: str, language: str, *,
           needs_text: bool = False) -> dict[str, Any]:
    """Return the content of a response for a channel and a language.

    The most specific variant wins, the language before the channel: channel and language, then
    language, then channel, then the response's own fields. A language fits its region's tag
    (`ru` fits `ru-RU`). With `needs_text` (a text medium), variants without a text are passed by.
    """
    variants = [v for v in response.get("variants") or () if isinstance(v, Mapping)]
    for wants_channel, wants_language in _ORDER:
        for variant in variants:
            if (_fits(variant.get("channel"), channel, wants_channel)
                    and _fits_language(variant.get("language"), language, wants_language)
                    and ("text" in variant or not needs_text)):
                return _content(variant)
    return _content(response)


def _fits(named: Any, value: str, wanted: bool) -> bool:
    """Return True when a variant names the value (wanted) or leaves the field out (not)."""
    return named == value if wanted else named is None


def _fits_language(named: Any, language: str, wanted: bool) -> bool:
    """Return True when a variant's language is the session's, or its primary subtag."""
    if not wanted:
        return named is None
    named, spoken = str(named or "").lower(), language.lower()
    return bool(named) and (named == spoken or named == spoken.partition("-")[0])


def _content(source: Mapping[str, Any]) -> dict[str, Any]:
    """Return the content fields of a response or variant."""
    return {field: source[field] for field in CONTENT if field in source}


class ResponseLibrary:
    """The responses sets of a workspace by id, as they went live; shared by every session."""

    def __init__(self, sets: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.sets = dict(sets or {})

    @classmethod
    def load(cls, folder: Path) -> tuple[ResponseLibrary, dict[str, list[Problem]]]:
        """Read a responses folder; a set with errors is left out and its problems returned."""
        sets: dict[str, Any] = {}
        refused: dict[str, list[Problem]] = {}
        for path in sorted(folder.glob("*.json")):
            doc, problems = read_set(path)
            if problems:
                refused[str(path)] = problems
            else:
                sets[path.stem] = doc
        return cls(sets), refused

    def response(self, name: str) -> Mapping[str, Any]:
        """Return the response a `set/name` names; raise UnknownResponse saying what is missing."""
        match = NAME.fullmatch(name)
        if match is None:
            raise UnknownResponse(f"response {name!r} is not set/name")
        found = self.sets.get(match[1])
        if found is None:
            raise UnknownResponse(f"response {name!r}: the workspace has no responses set "
                                  f"{match[1]!r} (responses/{match[1]}.json)")
        response = found["responses"].get(match[2])
        if response is None:
            raise UnknownResponse(f"response {name!r}: set {match[1]!r} has no response "
                                  f"{match[2]!r}")
        return response

    def content(self, name: str, channel: str, language: str, *,
                needs_text: bool = False) -> dict[str, Any]:
        """Return the content of a named response for a channel and language (unrendered)."""
        return choose(self.response(name), channel, language, needs_text=needs_text)


def read_set(path: Path) -> tuple[Any, list[Problem]]:
    """Read and check one responses set file; return (document, problems with lines)."""
    text, doc, problems = read_json(path)
    if text is None or problems:
        return None, problems
    found = [*validate_responses(doc), *flow_id_problems(doc, path, "responses set")]
    errors = [p for p in found if p.is_error]
    return doc, locate(errors, text, str(path))
