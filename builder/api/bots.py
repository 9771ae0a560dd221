"""Bots: the workspace's bots with their drafts and live versions, and "try a phrase".

Drafts, publishing, versions and deleting are builder.api.drafts' and versions' routes, as for
flows; here are the list, the live document and the classification of the working copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response

from runtime.bots import Bot, InvalidBot, compile_bot

from ..auth import requires
from ..errors import ApiError, BadRequest
from . import current_runtime, current_store, json_response
from .executions import read_json

bp = Blueprint("bots", __name__)
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT = 4000  # as a chat message


@bp.get("/bots")
@requires("viewer")
def list_bots() -> Response:
    """List every bot (a file, a live version or a draft) with its live version and draft; a
    live bot with its languages and intents; and the problems of the bot files refused."""
    workspace = current_runtime().workspace
    bots = []
    for entry in current_store().of("bot").catalogue():
        bot = workspace.bots.get(entry["id"])
        if bot is not None:
            entry = {**entry, "version": bot.version, "languages": bot.languages,
                     "intents": _intents(bot)}
        bots.append(entry)
    refused = [problem.as_dict() for file, problems in sorted(workspace.problems.items())
               if Path(file).parent.name == "bots" for problem in problems]
    return json_response({"bots": bots, "problems": refused})


@bp.get("/bots/<bot_id>")
@requires("viewer")
def get_bot(bot_id: str) -> Response:
    """Return a live bot's document (see schemas/bot.schema.json) and version."""
    bot = current_runtime().workspace.bot(bot_id)
    if bot is None:
        raise ApiError(f"no live bot with id {bot_id!r}", code="bot_not_found", status=404)
    response = json_response(bot.doc)
    response.headers["ETag"] = f'"{bot.version}"'
    return response


@bp.post("/bots/<bot_id>/classify")
@requires("viewer")
def classify(bot_id: str) -> Response:
    """Classify a text with a bot's working copy (its draft, else its file), as a `bot` block
    would classify it with that version: changes nothing."""
    body = read_json(MAX_BODY_BYTES)
    problems = _check(body)
    if problems:
        raise BadRequest.fields(problems)
    bot = _working(bot_id)
    result = bot.classify(body["text"], body.get("language"))
    understood = result.intent is not None and result.declared \
        and result.confidence >= result.min_confidence
    return json_response({**result.as_dict(), "response": result.response,
                          "declared": result.declared, "min_confidence": result.min_confidence,
                          "understood": understood, "version": bot.version})


def _working(bot_id: str) -> Bot:
    """Return a bot's working copy compiled (once per version); 422 when it has errors."""
    document = current_store().of("bot").working_copy(bot_id).document
    try:
        return compile_bot(document, current_runtime().workspace.matcher)
    except InvalidBot as exc:
        raise ApiError(f"bot {bot_id!r} has errors and cannot classify: {exc}",
                       code="invalid_bot", status=422,
                       details=[problem.as_dict() for problem in exc.problems]) from None


def _intents(bot: Bot) -> list[dict]:
    return [{"name": name, **({"response": intent["response"]} if "response" in intent else {})}
            for name, intent in bot.doc["intents"].items()]


def _check(body: Any) -> list[tuple[str, str]]:
    """Return (pointer, message) for what is wrong with a classify body."""
    if not isinstance(body, dict):
        return [("", "the body must be a JSON object {text, language?}")]
    problems = []
    text = body.get("text")
    if not isinstance(text, str):
        problems.append(("/text", "text is required and must be a string"))
    elif len(text) > MAX_TEXT:
        problems.append(("/text", f"text is longer than {MAX_TEXT} characters"))
    if "language" in body and not isinstance(body["language"], str):
        problems.append(("/language", "language must be a string such as `ru` or `en-US`"))
    problems += [(f"/{key}", f"unexpected field {key!r}") for key in body
                 if key not in ("text", "language")]
    return problems
