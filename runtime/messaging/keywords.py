"""SMS keywords: STOP and its synonyms opt a number out, START opts it back in, HELP asks for help.

A message is a keyword only when it is the keyword alone (case, spaces around it and closing
punctuation aside), as carriers and gateways match them, so "stop the card" reaches the flow.
Russian keywords are matched as the English ones are: `СТОП`, `ОТПИСАТЬСЯ`, `СТАРТ`, `ПОМОЩЬ`.
"""

from __future__ import annotations

import unicodedata

STOP, START, HELP = "stop", "start", "help"
KEYWORD_CHANNELS = ("sms",)  # the channels whose messages are looked up as keywords first
# the words carriers and gateways honour for opting out (CTIA's list, as Twilio applies it), and
# their Russian counterparts: "стоп" and "отписаться" (unsubscribe), which is what Russian
# mailing lists ask for; "отмена" (cancel) is left out, it answers a flow's own questions too
KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "cancel", "end", "quit",
                     "стоп", "отписаться"), STOP),
    # not "yes" nor "info", which gateways also take: they answer a flow's own questions
    **dict.fromkeys(("start", "unstop", "старт"), START),
    **dict.fromkeys(("help", "помощь"), HELP),
}
# what a number is sent in answer to a keyword when [sms] help_text, stop_text or start_text is not
# set: in Russian for a Russian keyword, else in English
DEFAULT_REPLIES = {
    ("en", STOP): "You are unsubscribed and will get no more messages. Reply START to subscribe "
                  "again.",
    ("en", START): "You are subscribed again. Reply STOP to unsubscribe, HELP for help.",
    ("en", HELP): "Reply STOP to unsubscribe, START to subscribe again.",
    ("ru", STOP): "Вы отписались и больше не получите сообщений. Чтобы подписаться снова, "
                  "ответьте СТАРТ.",
    ("ru", START): "Вы снова подписаны. Чтобы отписаться, ответьте СТОП, за помощью — ПОМОЩЬ.",
    ("ru", HELP): "Чтобы отписаться, ответьте СТОП; чтобы подписаться снова — СТАРТ.",
}
_TRAILING = ".!?¡¿,;:\"'«»()"
MAX_KEYWORD = 16  # longer messages are not looked up at all


def keyword_of(text: str) -> str | None:
    """Return `stop`, `start` or `help` when a message is one of their keywords alone, else None."""
    if len(text) > MAX_KEYWORD * 2:
        return None
    return KEYWORDS.get(_word(text))


def keyword_reply(settings: dict, keyword: str, text: str) -> str:
    """Return the answer to a keyword: `[sms] <keyword>_text`, else the default in its language."""
    configured = settings.get("sms", {}).get(f"{keyword}_text")
    if configured is not None:
        return configured
    language = "ru" if any("\u0400" <= ch <= "\u04ff" for ch in text) else "en"
    return DEFAULT_REPLIES[(language, keyword)]


def keyword_word(text: str) -> str:
    """Return the keyword as the contact wrote it, in upper case, for the record (`СТОП`)."""
    return text.strip().strip(_TRAILING).strip().upper()


def _word(text: str) -> str:
    """Return a message as a keyword would be looked up: trimmed, case-folded, ё as е."""
    # NFKC first, so that the full-width ＳＴＯＰ of an East Asian keyboard is STOP
    word = unicodedata.normalize("NFKC", text).strip().strip(_TRAILING).strip()
    return word.casefold().replace("ё", "е")


__all__ = ["DEFAULT_REPLIES", "HELP", "KEYWORD_CHANNELS", "KEYWORDS", "START", "STOP",
           "keyword_of", "keyword_reply", "keyword_word"]
