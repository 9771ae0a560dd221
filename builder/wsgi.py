"""The WSGI application a server process loads: the app for $CALLWRIGHT_WORKSPACE (default ".")."""

from __future__ import annotations

from .app import create_app

app = create_app()
