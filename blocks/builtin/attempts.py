"""Waiting for an answer over several attempts, as IVR practice has it (noinput, nomatch, failed).

`ask`, `menu` (and every block that waits for the contact) ask through `collect`.
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable

from blocks.sdk import Context, Input

# Where waiting blocks count their failed attempts; kept in ctx.state so that it survives the
# session being saved while the block waits for the next chat message.
ATTEMPTS = "attempts"
NOMATCH = object()  # what `accept` returns for an answer it refuses, and `collect` after the last
# What a waiting block says after a failed attempt when its flow sets no `noinput_prompt` or
# `nomatch_prompt`, by the session's language (its primary subtag; any other language gets
# English). A menu's wrong answer (kind `choice`) says it is not one of the choices.
DEFAULT_PROMPTS: dict[str, dict[str, str]] = {
    "en": {"noinput": "Sorry, I did not get that.",
           "nomatch": "Sorry, that is not a valid answer.",
           "nomatch_choice": "That is not one of the choices."},
    "ru": {"noinput": "Извините, ответ не получен.",
           "nomatch": "Извините, такой ответ не подходит.",
           "nomatch_choice": "Такого варианта нет среди предложенных."},
}


async def collect(ctx: Context, accept: Callable[[Input], Any | Awaitable[Any]],
                  **ask: Any) -> Any:
    """Ask until `accept` takes an answer and return its value; `NOMATCH` after the last attempt.

    `accept` (a function or a coroutine function) returns `NOMATCH` for an answer it refuses.
    A wait with no answer plays `noinput_prompt`, a refused answer `nomatch_prompt` (unset: the default in the session's
    language); both count towards `max_attempts`.
    Nothing is emitted before the `ask`, so a re-run after a wait replays to it silently.
    """
    config = ctx.config
    limit = config.get("max_attempts", 3)
    while True:
        answer = await ctx.ask(config.get("prompt"), **ask)
        value = NOMATCH if answer is None else accept(answer)
        if inspect.isawaitable(value):
            value = await value
        if value is not NOMATCH:
            ctx.state.pop(ATTEMPTS, None)
            return value
        # Count before saying the retry prompt: a wait after it must resume with this count.
        attempts = ctx.state.get(ATTEMPTS, 0) + 1
        ctx.state[ATTEMPTS] = attempts
        outcome = "noinput" if answer is None else "nomatch"
        ctx.log(f"attempt {attempts} of {limit}: {outcome}")
        retry_prompt = config.get(f"{outcome}_prompt")
        if retry_prompt is None:  # an empty prompt is the flow's choice of silence
            retry_prompt = default_prompt(ctx.language, outcome, ask.get("kind", "text"))
        if retry_prompt:
            ctx.say(retry_prompt)
        if attempts >= limit:
            ctx.state.pop(ATTEMPTS, None)
            return NOMATCH


def default_prompt(language: str, outcome: str, kind: str) -> str:
    """Return the built-in retry prompt for an outcome and kind of answer, in a language."""
    primary = language.replace("_", "-").split("-")[0].lower()
    prompts = DEFAULT_PROMPTS.get(primary, DEFAULT_PROMPTS["en"])
    return prompts.get(f"{outcome}_{kind}", prompts[outcome])
