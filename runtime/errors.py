"""The runtime's exceptions."""

from __future__ import annotations


class EngineError(Exception):
    """Something went wrong running flows; `code` is a stable snake_case name for clients."""

    code = "engine_error"


class FlowNotFound(EngineError):
    """No (valid, published) flow has that id."""

    code = "flow_not_found"


class InvalidFlow(EngineError):
    """A flow failed validation; `problems` lists every problem found."""

    code = "invalid_flow"

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class SessionNotFound(EngineError):
    """No session has that id (it never existed, or it expired)."""

    code = "session_not_found"


class SessionEnded(EngineError):
    """The session has already ended; it takes no more input."""

    code = "session_ended"


class SessionBusy(EngineError):
    """Another turn of the same session is running."""

    code = "session_busy"


class NoRoute(EngineError):
    """No flow is routed for the address a message was sent to."""

    code = "no_route"


class SessionStoreUnavailable(EngineError):
    """The session store cannot be reached (Redis down or timing out); the message names it."""

    code = "session_store_unavailable"
