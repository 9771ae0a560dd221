"""`menu`: offer options by key (DTMF) or by word (chat, SMS, speech) and take the chosen exit."""

from __future__ import annotations

from typing import Any

from blocks.sdk import Block, Context, Exit, Input, read_manifest

from .attempts import NOMATCH, collect


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
            for word, place in _words(option).items():
                other = owner.setdefault(word, index)
                if other != index:
                    message = (f"{word!r} already selects option {other} (/options/{other}); "
                               "an answer must pick one option")
                    problems.append((f"/options/{index}/{place}", message))
        return problems

    async def run(self, ctx: Context) -> Exit:
        """Ask for a choice until one matches; take its exit, or `failed` after the last attempt."""
        config = ctx.config
        options = config["options"]
        choices = [{"key": o["key"], "label": o.get("label", o["key"])} for o in options]
        if ctx.channel == "voice":  # a caller may also say a synonym: the recogniser's grammar
            for choice, option in zip(choices, options):
                if option.get("synonyms"):
                    choice["synonyms"] = list(option["synonyms"])
        option = await collect(ctx, lambda answer: match_option(options, answer), kind="choice",
                               choices=choices, timeout_s=config.get("timeout_s", 5))
        if option is NOMATCH:
            return "failed"
        if config.get("variable"):
            ctx.set(config["variable"], option["key"])
        return option["exit"]


def match_option(options: list[dict], answer: Input) -> Any:
    """Return the option an answer selects, or `NOMATCH`.

    DTMF selects by key only; typed or spoken answers also match a label or synonym,
    ignoring case and surrounding space.
    """
    said = answer.text.strip().casefold()
    for option in options:
        if answer.mode == "dtmf":
            if said == option["key"].strip().casefold():
                return option
        elif said in _words(option):
            return option
    return NOMATCH


def _words(option: dict) -> dict[str, str]:
    """Return each normalised key, label and synonym of an option, with its place in the option.

    The first place a word has counts: an option may repeat its own key as its label.
    """
    words: dict[str, str] = {}
    for place, word in (("key", option.get("key")), ("label", option.get("label"))):
        if isinstance(word, str) and (normal := word.strip().casefold()):
            words.setdefault(normal, place)
    for n, word in enumerate(option.get("synonyms", ())):
        if isinstance(word, str) and (normal := word.strip().casefold()):
            words.setdefault(normal, f"synonyms/{n}")
    return words


BLOCKS = (MenuBlock,)
