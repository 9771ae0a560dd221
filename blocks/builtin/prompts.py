"""Prompt blocks: `say` speaks, `ask` collects a validated answer, `menu` offers choices."""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from blocks.sdk import Block, Context, Exit, Input, read_manifest

# Where waiting blocks count their failed attempts; kept in ctx.state so that it survives the
# session being saved while the block waits for the next chat message.
ATTEMPTS = "attempts"
_NOMATCH = object()
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")


async def collect(ctx: Context, accept: Callable[[Input], Any], **ask: Any) -> Any:
    """Ask until `accept` takes an answer and return its value; `_NOMATCH` after the last attempt.

    `accept` returns `_NOMATCH` for an answer it refuses. A wait with no answer plays
    `noinput_prompt`, a refused answer `nomatch_prompt`; both count towards `max_attempts`.
    Nothing is emitted before the `ask`, so a re-run after a wait replays to it silently.
    """
    config = ctx.config
    limit = config.get("max_attempts", 3)
    while True:
        answer = await ctx.ask(config.get("prompt"), **ask)
        value = _NOMATCH if answer is None else accept(answer)
        if value is not _NOMATCH:
            ctx.state.pop(ATTEMPTS, None)
            return value
        # Count before saying the retry prompt: a wait after it must resume with this count.
        attempts = ctx.state.get(ATTEMPTS, 0) + 1
        ctx.state[ATTEMPTS] = attempts
        outcome = "noinput" if answer is None else "nomatch"
        ctx.log(f"attempt {attempts} of {limit}: {outcome}")
        retry_prompt = config.get(f"{outcome}_prompt")
        if retry_prompt:
            ctx.say(retry_prompt)
        if attempts >= limit:
            ctx.state.pop(ATTEMPTS, None)
            return _NOMATCH


class SayBlock(Block):
    """Say a text, play a recorded prompt, or deliver a named response."""

    manifest = read_manifest(__package__, "say.json")

    async def run(self, ctx: Context) -> Exit:
        """Emit one say action and go on."""
        config = ctx.config
        if "response" in config:
            ctx.say(response=config["response"])
        elif "audio" in config:
            ctx.say(audio=config["audio"])
        else:
            ctx.say(config["text"])
        return "next"


class AskBlock(Block):
    """Ask for digits, a number or free text, validate it, and store it in a variable."""

    manifest = read_manifest(__package__, "ask.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report a pattern that does not compile and a length range that is empty."""
        problems = []
        pattern = config.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(("/pattern", f"not a valid regular expression: {exc}"))
        low, high = config.get("min_length"), config.get("max_length")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.append(("/max_length", f"max_length {high} is less than min_length {low}"))
        return problems

    async def run(self, ctx: Context) -> Exit:
        """Ask until an answer passes validation, then store it; `failed` after the last attempt."""
        config = ctx.config
        value = await collect(ctx, lambda answer: accept_answer(config, answer),
                              kind=config.get("kind", "text"), timeout_s=config.get("timeout_s", 5),
                              **_keypad(ctx))
        if value is _NOMATCH:
            return "failed"
        ctx.set(config["variable"], value)
        return "next"


def _keypad(ctx: Context) -> dict:
    """Return what a voice port needs to collect the answer's keys: the most, and the end key."""
    if ctx.channel != "voice":
        return {}
    config = ctx.config
    keypad = {"terminator": config.get("terminator", "#")}
    if "max_length" in config:
        keypad["max_length"] = config["max_length"]
    return keypad


def accept_answer(config: dict, answer: Input) -> Any:
    """Return the value an answer gives under an ask config, or `_NOMATCH` when it is invalid."""
    kind = config.get("kind", "text")
    text = answer.text.strip()
    terminator = config.get("terminator", "#")
    # The terminator ends DTMF entry ("1234#"); it is never part of the answer.
    if terminator and (kind == "digits" or answer.mode == "dtmf") and text.endswith(terminator):
        text = text[:-len(terminator)].rstrip()
    if not text:
        return _NOMATCH
    if len(text) < config.get("min_length", 0):
        return _NOMATCH
    if "max_length" in config and len(text) > config["max_length"]:
        return _NOMATCH
    if "pattern" in config and re.fullmatch(config["pattern"], text) is None:
        return _NOMATCH
    if kind == "digits":
        return text if text.isascii() and text.isdigit() else _NOMATCH
    if kind == "number":
        return parse_number(text)
    return text


def parse_number(text: str) -> Any:
    """Return the int or float written in `text`, or `_NOMATCH` when it is not a plain number."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else _NOMATCH
    return _NOMATCH


class MenuBlock(Block):
    """Offer options by key (DTMF) or by word (chat, SMS, speech) and take the chosen one's exit."""

    manifest = read_manifest(__package__, "menu.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report keys, labels and synonyms that would match more than one option."""
        problems = []
        owner: dict[str, int] = {}
        for index, option in enumerate(config.get("options", ())):
            if not isinstance(option, dict):
                continue
            for pointer, word in _words(index, option):
                other = owner.setdefault(word, index)
                if other != index:
                    message = (f"{word!r} already selects option {other} (/options/{other}); "
                               "an answer must pick one option")
                    problems.append((pointer, message))
        return problems

    async def run(self, ctx: Context) -> Exit:
        """Ask for a choice until one matches; take its exit, or `failed` after the last attempt."""
        config = ctx.config
        options = config["options"]
        choices = [{"key": o["key"], "label": o.get("label", o["key"])} for o in options]
        option = await collect(ctx, lambda answer: match_option(options, answer), kind="choice",
                               choices=choices, timeout_s=config.get("timeout_s", 5))
        if option is _NOMATCH:
            return "failed"
        if config.get("variable"):
            ctx.set(config["variable"], option["key"])
        return option["exit"]


def match_option(options: list[dict], answer: Input) -> Any:
    """Return the option an answer selects, or `_NOMATCH`.

    DTMF selects by key only; typed or spoken answers also match a label or synonym,
    ignoring case and surrounding space.
    """
    said = answer.text.strip().casefold()
    for option in options:
        if answer.mode == "dtmf":
            words = {option["key"].strip().casefold()}
        else:
            words = {word for _, word in _words(0, option)}
        if said in words:
            return option
    return _NOMATCH


def _words(index: int, option: dict) -> list[tuple[str, str]]:
    """Return (pointer, normalised word) for each key, label and synonym of an option."""
    found = [(f"/options/{index}/key", option.get("key"))]
    if "label" in option:
        found.append((f"/options/{index}/label", option["label"]))
    synonyms = option.get("synonyms", ())
    found += [(f"/options/{index}/synonyms/{n}", s) for n, s in enumerate(synonyms)]
    words: list[tuple[str, str]] = []
    for pointer, word in found:
        if isinstance(word, str) and word.strip():
            normal = word.strip().casefold()
            if normal not in {w for _, w in words}:  # an option may repeat its own key as label
                words.append((pointer, normal))
    return words


BLOCKS = (SayBlock, AskBlock, MenuBlock)
