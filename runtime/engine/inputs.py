"""Where a waiting block's answer comes from: later turns, a script of answers, or a call."""

from __future__ import annotations

from typing import Iterable

from blocks.sdk import Input, Suspend
from runtime.channels import Channel


class InputSource:
    """Where a waiting block's answer comes from."""

    async def next(self, ask: dict) -> Input | None:
        """Wait for the answer to `ask` and return it; None for a wait that timed out.

        Raise Suspend when the answer comes as a later turn (chat, messaging), and
        EndSession("caller_hangup") when the contact is gone (a caller who hung up).
        """
        raise NotImplementedError


class TurnInputs(InputSource):
    """Messaging: answers come as later turns, so every wait suspends the session."""

    async def next(self, ask: dict) -> Input | None:
        raise Suspend()


class ScriptedInputs(InputSource):
    """The simulator: answers are consumed in order; "" or running out is a wait with no answer."""

    def __init__(self, answers: Iterable[str], channel: Channel) -> None:
        self._answers = list(answers)
        self._channel = channel

    async def next(self, ask: dict) -> Input | None:
        if not self._answers:
            return None
        text = self._answers.pop(0)
        return self._channel.parse_input(text) if text != "" else None
