"""The block SDK's exceptions and control signals."""

from __future__ import annotations


class BlockError(Exception):
    """A block could not do its work; the engine routes the session to the block's `error` exit."""


class ConfigurationError(Exception):
    """Something the product needs is not installed or not configured; the message says what.

    The one "not configured" error of every package (the API answers it 409 `not_configured`).
    """

    code = "not_configured"


class Signal(BaseException):
    """Control flow between a block and the engine; never an error, never caught by blocks.

    Derived from BaseException so that a block's `except Exception` cannot swallow it.
    """


class Suspend(Signal):
    """The session waits for input that has not arrived yet (chat, messaging)."""


class EnterSubflow(Signal):
    """The block asked the engine to run another flow and resume it with that flow's result."""

    def __init__(self, flow: str, inputs: dict) -> None:
        super().__init__(flow)
        self.flow = flow
        self.inputs = inputs


# the disposition of a session whose contact went away mid-flow (a caller's BYE, a hang-up)
CALLER_HANGUP = "caller_hangup"


class EndSession(Signal):
    """The block ends the session with a disposition."""

    def __init__(self, disposition: str) -> None:
        super().__init__(disposition)
        self.disposition = disposition
