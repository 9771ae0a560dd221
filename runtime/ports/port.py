"""The one per-port API every backend implements, in the manner of Dialogic's voice and Global Call.

A port is one line that carries one call at a time. Its call goes through Global Call-style
states and tells listeners about three events:

    inbound:  null -> offered -> accepted -> connected -> [disconnected] -> idle -> null
    outbound: null -> dialing -> connected (or back to null: busy, no answer, failed)
    events:   offered (a call arrives), answered (the call is up, either direction),
              disconnected (the far end hung up, the call was transferred away, or we hung up)

`disconnected` as a state means the far end has gone and the port still holds the call;
`hangup()` drops and releases it (idle, then null: ready for the next call).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from runtime.errors import EngineError

from .clock import REAL_TIME, Clock

NULL, OFFERED, ACCEPTED, DIALING = "null", "offered", "accepted", "dialing"
CONNECTED, DISCONNECTED, IDLE = "connected", "disconnected", "idle"
CALL_STATES = (NULL, OFFERED, ACCEPTED, DIALING, CONNECTED, DISCONNECTED, IDLE)
PORT_EVENTS = ("offered", "answered", "disconnected")
TRANSFER_RESULTS = ("connected", "busy", "noanswer", "failed")
MAX_BUFFERED_KEYS = 64  # keys typed ahead that a port keeps until something collects them
DIAL_RESULTS = ("answered", "busy", "noanswer", "failed")


class PortError(EngineError):
    """A port was asked for something its call's state does not allow."""

    code = "port_error"


class CallerHungUp(PortError):
    """The far end hung up: whatever the port was doing for the call stops."""

    code = "caller_hung_up"


@dataclass(slots=True)
class CallInfo:
    """One call on a port: its numbers, its direction and when things happened (port clock)."""

    direction: str  # "inbound" or "outbound"
    caller: str = ""  # the calling number (ANI)
    called: str = ""  # the dialled number (DNIS)
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None  # "caller" (far end), "us", "transfer"; a failed dial's outcome


@dataclass(frozen=True, slots=True)
class PortEvent:
    """What a listener hears: which port, which event, when (port clock) and about which call."""

    port: str
    name: str
    at: float
    call: CallInfo | None


@dataclass(frozen=True, slots=True)
class Recording:
    """What `record` took: how long the caller spoke, and the audio where the backend keeps it."""

    seconds: float
    audio: bytes | None = None


Listener = Callable[[PortEvent], None]


class Port:
    """One line, one call at a time: the API the voice runtime drives, whatever the backend.

    A backend subclass implements `answer`, `play`, `record`, `transfer`, `hangup` and `dial`
    and reports what the far end does with `_press(key)` (a DTMF key arrived) and `_gone()`
    (the far end hung up). The base keeps the call's state, tells listeners, buffers keys and
    collects them in `get_digits`, so key handling (type-ahead, barge-in, timeouts) is the same
    on every backend. Every method is a coroutine of the port's own call; none is safe to call
    from two tasks at once, as one call does one thing at a time.
    """

    backend = ""
    # whether `record` returns the caller's audio: a port that keeps it and returns none heard
    # nothing at all; the emulator keeps none and reports only how long the caller spoke
    keeps_audio: ClassVar[bool] = True
    # whether `hear` can return speech (the SIP backend listens to the caller's audio)
    listens: ClassVar[bool] = False

    def __init__(self, port_id: str, clock: Clock = REAL_TIME) -> None:
        self.id = port_id
        self.clock = clock
        self.state = NULL
        self.call: CallInfo | None = None
        self._keys: deque[str] = deque()
        self._waiter: asyncio.Future | None = None
        self._wake_on_key = False
        self._listeners: list[Listener] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.state}>"

    # --- the per-call API ----------------------------------------------------------------------
    async def answer(self) -> None:
        """Answer the offered call; return once it is connected (event `answered`).

        Raise CallerHungUp when the caller gives up before, PortError when no call is offered.
        """
        raise NotImplementedError

    async def play(self, prompt: dict) -> None:
        """Play a prompt to the caller and return when it has played.

        `prompt` is `{"text": ...}` (spoken by TTS), `{"audio": name}` (a recorded prompt;
        `duration_s` may declare its length) or `{"tone": hz, "duration_s": s}` (a sine tone: the
        beep before a recording; `runtime.media.MediaLibrary` makes all three). A key pressed while
        it plays stops it (barge-in) unless `barge_in` is false; the key stays for the next
        `get_digits`, and a key already waiting stops the prompt at once (type-ahead). `input`, when
        present, describes the answer the prompt asks for (`kind`, `keys`, `max_digits`,
        `terminator`): real lines ignore it; an emulated caller answers by it. Raise CallerHungUp
        when the caller hangs up.
        """
        raise NotImplementedError

    async def get_digits(self, max_digits: int, timeout_s: float, inter_digit_s: float,
                         terminators: str = "#") -> str:
        """Collect DTMF keys: return them ("" when none came: no input).

        Keys already pressed count first. Collection waits up to `timeout_s` for the first key
        and `inter_digit_s` for each next one, and ends after `max_digits` keys or on a key in
        `terminators` (which is returned too). Raise CallerHungUp when the caller hangs up.
        """
        self._require(CONNECTED)
        got: list[str] = []
        wait = timeout_s
        while len(got) < max_digits:
            if not self._keys:
                await self._wait(wait, on_key=True)
                if self.state != CONNECTED:
                    raise CallerHungUp(f"{self.id}: the caller hung up")
                if not self._keys:
                    break  # the wait ran out
            key = self._keys.popleft()
            got.append(key)
            if key in terminators:
                break
            wait = inter_digit_s
        return "".join(got)

    def listen(self) -> None:
        """Start listening for speech (before the prompts, so that speech stops them)."""

    def stop_listening(self) -> None:
        """Stop listening (the wait takes keys only after all)."""

    async def hear(self, max_digits: int, timeout_s: float, inter_digit_s: float,
                   terminators: str = "#") -> tuple[str, str | bytes] | None:
        """Wait for keys or, on a port that `listens`, an utterance ("say or press").

        Return ("dtmf", keys), ("speech", 8 kHz PCM of the utterance) or None (no input).
        """
        keys = await self.get_digits(max_digits, timeout_s, inter_digit_s, terminators)
        return ("dtmf", keys) if keys else None

    async def record(self, max_s: float) -> Recording:
        """Record the caller for at most `max_s` seconds (a key ends it early).

        Return what was taken (0 seconds when the caller said nothing) with its audio as 8 kHz
        mono 16-bit PCM when the port `keeps_audio` (None: no audio arrived); raise CallerHungUp.
        """
        raise NotImplementedError

    async def transfer(self, target: dict, timeout_s: float | None = None) -> str:
        """Blind-transfer the call to a target (`{number|uri|queue|agent: ...}`).

        Return `connected` (the call has left this port: state disconnected, event
        `disconnected`), `busy`, `noanswer` or `failed` (the call stays here); raise
        CallerHungUp when the caller hangs up meanwhile.
        """
        raise NotImplementedError

    async def hangup(self) -> None:
        """Drop and release the call, whatever its state; the port ends in `null`, ready again."""
        raise NotImplementedError

    async def dial(self, to: str, timeout_s: float = 30.0, caller_id: str = "") -> str:
        """Place an outbound call from this idle port.

        Return `answered` (connected, event `answered`), `busy`, `noanswer` (nobody answered
        within `timeout_s`) or `failed`; the port is back in `null` unless answered.
        """
        raise NotImplementedError

    # --- listeners -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Tell `listener` about this port's events; return a function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            """Stop telling the listener."""
            if listener in self._listeners:
                self._listeners.remove(listener)
        return unsubscribe

    @property
    def connected(self) -> bool:
        """True while the call is up."""
        return self.state == CONNECTED

    # --- for backends ---------------------------------------------------------------------------
    def _event(self, name: str) -> None:
        """Tell the listeners about an event of the current call."""
        if self._listeners:
            event = PortEvent(self.id, name, self.clock.now(), self.call)
            for listener in tuple(self._listeners):
                listener(event)

    def _require(self, *states: str) -> None:
        """Raise CallerHungUp for a call the far end left, PortError in any other wrong state."""
        if self.state in states:
            return
        if self.state == DISCONNECTED:
            raise CallerHungUp(f"{self.id}: the caller hung up")
        raise PortError(f"{self.id}: not possible in state {self.state!r} "
                        f"(needs {' or '.join(states)})")

    def _begin(self, call: CallInfo, state: str) -> None:
        """Put a new call on this idle port."""
        if self.state != NULL:
            raise PortError(f"{self.id} is busy (state {self.state!r}): one call per port")
        self.call = call
        self.state = state
        self._keys.clear()

    def _connect(self) -> None:
        """The call is up: record when and tell listeners."""
        self.state = CONNECTED
        if self.call is not None:
            self.call.answered_at = self.clock.now()
        self._event("answered")

    def _gone(self, by: str = "caller") -> None:
        """The far end has left (hung up, or took the transfer): wake whatever waits."""
        if self.state not in (OFFERED, ACCEPTED, DIALING, CONNECTED):
            return
        self.state = DISCONNECTED
        if self.call is not None:
            self.call.ended_at = self.clock.now()
            self.call.ended_by = by
        self._wake()
        self._event("disconnected")

    def _release(self) -> None:
        """Drop the call (idle) and free the port for the next one (null)."""
        if self.state == NULL:
            return
        if self.state != DISCONNECTED:  # we end a call that is still up, ringing or dialling
            if self.call is not None and self.call.ended_at is None:
                self.call.ended_at = self.clock.now()
                self.call.ended_by = "us"
            self.state = IDLE
            self._wake()
            self._event("disconnected")
        self.state = IDLE
        self._keys.clear()
        self.state = NULL

    def _press(self, key: str) -> None:
        """A DTMF key arrived from the far end: buffer it and wake a wait that stops on keys."""
        if self.state != CONNECTED:
            return
        if len(self._keys) >= MAX_BUFFERED_KEYS:  # a flood of keys: keep the latest
            self._keys.popleft()
        self._keys.append(key)
        if self._wake_on_key:
            self._wake()

    async def _wait(self, seconds: float, *, on_key: bool = False) -> bool:
        """Wait `seconds` of the port clock; return True when woken early (a key or a hang-up)."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        self._wake_on_key = on_key
        timer = loop.call_later(self.clock.real(seconds), _settle, waiter, False)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None
            self._wake_on_key = False

    def _wake(self) -> None:
        """End the current wait early."""
        if self._waiter is not None:
            _settle(self._waiter, True)


def _settle(waiter: asyncio.Future, woken: bool) -> None:
    """Resolve a wait once; later calls do nothing."""
    if not waiter.done():
        waiter.set_result(woken)


class Inbound(Protocol):
    """Where a backend offers the calls that arrive on it (runtime.ports.inbound.InboundCalls)."""

    def offer(self, call: CallInfo) -> Port:
        """Return the free port that takes the call; raise UnknownNumber or NoFreePort."""

    def refused(self, port: Port) -> None:
        """Take back a port `offer` gave for a call the backend then could not ring."""

    def connect(self, port: Port) -> asyncio.Task:
        """Answer the call ringing on the port, run its flow, release the port after."""


class PortBackend:
    """A source of ports: emulated boards, a SIP stack, extensions registered on a PBX.

    `ports` lists its ports, each carrying one call at a time, all running on `clock`; `name`
    is what configuration calls the backend (`emulator`, `sip`, `line`, a partner's name in the
    `callwright.ports` entry point group). The voice runtime takes ports for calls from a
    `PortPool` over `ports` and drives them through `Port` alone, so a flow runs the same on
    every backend.

    Inbound calls: `start(inbound)` makes the backend take calls (bind its sockets, register
    its lines). For each arriving call it asks `inbound.offer(call)` for a port (refusing the
    call in its own way when that raises: SIP answers 404 for an unknown number and 486 when
    no port is free), puts the call on the port in state `offered`, and hands the port to
    `inbound.connect`, which answers it and runs the routed flow. A far end that goes away is
    reported with the port's `_gone`, keys with `_press`. `stop()` ends calls in progress and
    releases what the backend holds; `close()` is its synchronous last resort.
    """

    name: ClassVar[str] = ""
    clock: Clock = REAL_TIME

    def __init__(self) -> None:
        self.ports: list[Port] = []

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> PortBackend:
        """Build the backend from a workspace's settings (root: the workspace folder)."""
        raise NotImplementedError(f"the {cls.name or cls.__name__} backend is not configured "
                                  f"from settings")

    @property
    def address(self) -> str:
        """Say where the backend takes calls (`udp:127.0.0.1:5060`), for banners and logs."""
        return self.name

    async def start(self, inbound: Inbound) -> None:
        """Begin taking inbound calls, offering each to `inbound`."""
        raise NotImplementedError(f"the {self.name or type(self).__name__} backend takes no "
                                  f"inbound calls of its own")

    async def stop(self) -> None:
        """Stop taking calls, hang up those in progress and release what the backend holds."""
        self.close()

    def close(self) -> None:
        """Release the backend's resources (sockets, boards); its ports take no more calls."""
