"""The workspace's live bots, and a "try a phrase" classification for the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response

from ..auth import requires
from ..errors import ApiError, BadRequest
from . import current_runtime, json_response
from .executions import read_json

bp = Blueprint("bots", __name__)
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT = 4000  # as a chat message


@bp.get("/bots")
@requires("viewer")
def list_bots() -> Response:
    """List the live bots with their languages and intents, and the bot files refused."""
    workspace = current_runtime().workspace
    bots = [{"id": bot.id, "name": bot.doc.get("name", bot.id), "version": bot.version,
             "languages": bot.languages,
             "intents": [{"name": name, **({"response": intent["response"]}
                                           if "response" in intent else {})}
                         for name, intent in bot.doc["intents"].items()]}
            for _, bot in sorted(workspace.bots.items())]
    refused = [problem.as_dict() for file, problems in sorted(workspace.problems.items())
               if Path(file).parent.name == "bots" for problem in problems]
    return json_response({"bots": bots, "problems": refused})


@bp.get("/bots/<bot_id>")
@requires("viewer")
def get_bot(bot_id: str) -> Response:
    """Return a live bot's document (see schemas/bot.schema.json) and version."""
    bot = _live(bot_id)
    response = json_response(bot.doc)
    response.headers["ETag"] = f'"{bot.version}"'
    return response


@bp.post("/bots/<bot_id>/classify")
@requires("viewer")
def classify(bot_id: str) -> Response:
    """Classify a text with a live bot, as a `bot` block would: changes nothing."""
    bot = _live(bot_id)
    body = read_json(MAX_BODY_BYTES)
    problems = _check(body)
    if problems:
        raise BadRequest.fields(problems)
    result = bot.classify(body["text"], body.get("language"))
    understood = result.intent is not None and result.declared \
        and result.confidence >= result.min_confidence
    return json_response({**result.as_dict(), "response": result.response,
                          "declared": result.declared, "min_confidence": result.min_confidence,
                          "understood": understood})


def _live(bot_id: str) -> Any:
    """Return the live bot of an id; raise a 404 ApiError when there is none."""
    bot = current_runtime().workspace.bot(bot_id)
    if bot is None:
        raise ApiError(f"no live bot with id {bot_id!r}", code="bot_not_found", status=404)
    return bot


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
