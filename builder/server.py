"""The ASGI application of `callwright serve`: chat turns on the event loop, Flask for the rest.

Chat turns run as tasks on the process's event loop (`AsgiChatRoute`), and so do the web-chat
widget's messages and event streams (`AsgiWebChat`); the rest of the REST API
is the Flask app, served on a few threads through a2wsgi. At shutdown the runtime is closed, so
the execution log writes the steps it still holds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from .api import RUNTIME_EXTENSION
from .app import close_app
from .api.body import ClientDisconnected
from .api.chat import AsgiChatRoute, Receive, Scope, Send
from .api.webchat import AsgiWebChat

FLASK_THREADS = 4  # Flask views at once per process; chat turns do not use them


def asgi_app(flask_app: Flask) -> Any:
    """Return the ASGI application over a Flask app of the builder."""
    runtime = flask_app.extensions[RUNTIME_EXTENSION]

    def terminated(environ: dict, start_response: Any) -> Any:
        # a2wsgi's input ends where the request does, as granian's WSGI input did; said so,
        # werkzeug reads a body without Content-Length (chunked) instead of taking it as empty
        environ.setdefault("wsgi.input_terminated", True)
        return flask_app(environ, start_response)

    flask = WSGIMiddleware(terminated, workers=FLASK_THREADS)

    async def to_flask(scope: Scope, receive: Receive, send: Send) -> None:
        # a2wsgi reads the body from its threads with run_coroutine_threadsafe(receive()), which
        # takes coroutines only; a server's receive() may return any awaitable (granian's does)
        async def receive_coroutine() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                # a2wsgi would take it for the end of the body: a chunked body cut short by a
                # client that went away would reach the view looking whole
                raise ClientDisconnected()
            return message
        await flask(scope, receive_coroutine, send)

    webchat = AsgiWebChat(to_flask, runtime)
    routes = AsgiChatRoute(webchat, runtime)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            return await routes(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await runtime.close_http()
                webchat.close()
                # a thread: closing runs the event loops of the Flask threads' HTTP clients,
                # which cannot run inside this one
                await asyncio.to_thread(close_app, flask_app)
                await send({"type": "lifespan.shutdown.complete"})
                return

    return app
