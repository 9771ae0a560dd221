"""The ASGI application a server process loads: the app for $CALLWRIGHT_WORKSPACE (default ".")."""

from __future__ import annotations

import gc

from .app import create_app
from .server import asgi_app

app = asgi_app(create_app())
# Everything loaded so far (Flask, the registry, schemas, compiled flows) lives as long as the
# process. Frozen, the cyclic collector stops walking it: a full collection over it took ~45 ms,
# a stall that every request queued behind it paid (it was the chat API's p99).
gc.freeze()
