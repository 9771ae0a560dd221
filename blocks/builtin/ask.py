"""`ask`: collect digits, a number or free text, validate it, and store it in a variable."""

from __future__ import annotations

import math
import re
from typing import Any

from blocks.sdk import Block, Context, Exit, Input, read_manifest

from .attempts import NOMATCH, collect

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")


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
        if value is NOMATCH:
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
    """Return the value an answer gives under an ask config, or `NOMATCH` when it is invalid."""
    kind = config.get("kind", "text")
    text = answer.text.strip()
    terminator = config.get("terminator", "#")
    # The terminator ends DTMF entry ("1234#"); it is never part of the answer.
    if terminator and (kind == "digits" or answer.mode == "dtmf") and text.endswith(terminator):
        text = text[:-len(terminator)].rstrip()
    if not text:
        return NOMATCH
    if len(text) < config.get("min_length", 0):
        return NOMATCH
    if "max_length" in config and len(text) > config["max_length"]:
        return NOMATCH
    if "pattern" in config and re.fullmatch(config["pattern"], text) is None:
        return NOMATCH
    if kind == "digits":
        return text if text.isascii() and text.isdigit() else NOMATCH
    if kind == "number":
        return parse_number(text)
    return text


def parse_number(text: str) -> Any:
    """Return the int or float written in `text`, or `NOMATCH` when it is not a plain number."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else NOMATCH
    return NOMATCH


BLOCKS = (AskBlock,)
