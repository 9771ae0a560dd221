"""The ASGI application a server process loads: the app for $CALLWRIGHT_WORKSPACE (default ".")."""

from __future__ import annotations

import gc

from .app import create_app
from .lifetime import die_with_serve
from .server import asgi_app

die_with_serve()  # first: a worker of a serve already gone serves nothing
app = asgi_app(create_app())
# Everything loaded so far (Flask, the registry, schemas, compiled flows) lives as long as the
# process. Frozen, the cyclic collector stops walking it: a full collection over it took ~45 ms,
# a stall that every request queued behind it paid (it was the chat API's p99).
gc.freeze()
