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
            words = {option["key"].strip().casefold()}
        else:
            words = {word for _, word in _words(0, option)}
        if said in words:
            return option
    return NOMATCH


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


BLOCKS = (MenuBlock,)
