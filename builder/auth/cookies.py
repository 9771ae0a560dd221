"""The cookies of a signed-in browser: its session id, and the local admin's language."""

from __future__ import annotations

from flask import Response

SESSION_COOKIE = "callwright_session"
LANGUAGE_COOKIE = "callwright_language"  # local mode has no user row to keep it in


def set_session_cookie(response: Response, session_id: str, *, secure: bool) -> None:
    """Hand the browser its session id: unreadable by scripts, not sent by other sites' posts."""
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax", secure=secure,
                        path="/")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Tell the browser to forget its session id."""
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Lax", secure=secure,
                           path="/")


def set_language_cookie(response: Response, language: str, *, secure: bool) -> None:
    """Keep the local admin's editor language in the browser for a year."""
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=secure, path="/")
