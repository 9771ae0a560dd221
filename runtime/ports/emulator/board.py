"""The emulator backend: a Dialogic-style board of ports whose far ends are scripted callers.

`EmulatorBoard(boards, channels)` makes `boards x channels` ports named `b1c1`, `b1c2`, ...
Nothing goes on a wire: prompts, key collection, recordings, transfers and dialling take the
time they would take on a real line (`Timing`), measured on the board's clock, which may run
faster than real time for capacity work. The caller on each call follows a `CallerScript`
(see `runtime.ports.emulator.callers`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import EngineError
from runtime.ports.clock import Clock
from runtime.ports.port import (ACCEPTED, CONNECTED, DIALING, NULL, OFFERED, CallInfo, Inbound,
                                Port, PortBackend, Recording)

from .callers import CallerMix, CallerScript, ScriptedCaller, load_callers
from .holding import Holding
from .latency import LatencyHistogram
from .traffic import poisson_arrivals

DEFAULT_PORTS = 30  # outbound ports when `[voice] ports` is not set: one E1


@dataclass(frozen=True, slots=True)
class Timing:
    """How long things take on the emulated line, in seconds of the board's clock."""

    words_per_minute: float = 150.0  # text-to-speech
    min_prompt_s: float = 0.5  # the shortest spoken prompt (a word, with its lead-in)
    audio_s: float = 2.0  # a recorded prompt that declares no duration
    answer_s: float = 0.3  # answering an offered call until it is connected
    ring_s: float = 4.0  # a dialled callee rings this long before answering
    busy_s: float = 1.0  # until a busy signal is reported
    failed_s: float = 0.2  # until a failure is reported
    transfer_s: float = 2.0  # until a transfer's outcome is known
    silence_s: float = 5.0  # a recording with no speech gives up after this much silence
    end_of_speech_s: float = 1.0  # a recording ends after this much silence after speech


class EmulatorPort(Port):
    """A port on an emulator board; its far end is a scripted caller."""

    backend = "emulator"
    keeps_audio = False  # nothing is on a wire: a recording is how long the caller spoke

    def __init__(self, port_id: str, board: EmulatorBoard) -> None:
        super().__init__(port_id, board.clock)
        self.board = board
        self.caller: ScriptedCaller | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._due: float | None = None  # when the far-end action that woke a wait was due

    def later(self, seconds: float, callback: Callable[..., Any], *args: Any) -> None:
        """Run a far-end action after `seconds`; it is cancelled when the call ends."""
        if self.board.latency is None:
            self._timers.append(self.clock.call_later(seconds, callback, *args))
        else:
            self._timers.append(self.clock.call_later(seconds, self._far_end,
                                                      self.clock.now() + seconds, callback, args))

    def _far_end(self, due: float, callback: Callable[..., Any], args: tuple) -> None:
        self._due = due
        callback(*args)

    async def _wait(self, seconds: float, *, on_key: bool = False) -> bool:
        """Wait as every port does; with the board measuring, count how late the wait ended.

        Late is from when its event was due (the wait's end, or the far end's key or hang-up
        that cut it short) to when this call's coroutine runs again, in real seconds.
        """
        latency = self.board.latency
        if latency is None:
            return await super()._wait(seconds, on_key=on_key)
        due = self.clock.now() + seconds
        self._due = None
        woken = await super()._wait(seconds, on_key=on_key)
        at = self._due if woken else due
        if at is not None:
            latency.add(self.clock.real(self.clock.now() - at))
        return woken

    async def answer(self) -> None:
        self._require(OFFERED)
        self.state = ACCEPTED
        await self._wait(self.board.timing.answer_s)
        self._require(ACCEPTED)
        self._connect()

    async def play(self, prompt: dict) -> None:
        self._require(CONNECTED)
        barge_in = prompt.get("barge_in", True)
        if self.caller is not None:
            self.caller.prompt_started(self, prompt)
        if not (barge_in and self._keys):
            await self._wait(self.board.prompt_seconds(prompt), on_key=barge_in)
        self._require(CONNECTED)

    async def get_digits(self, max_digits: int, timeout_s: float, inter_digit_s: float,
                         terminators: str = "#") -> str:
        """Collect keys as every port does; the scripted caller answers as collection starts."""
        self._require(CONNECTED)
        if self.caller is not None:
            self.caller.collecting(self)
        return await super().get_digits(max_digits, timeout_s, inter_digit_s, terminators)

    async def record(self, max_s: float) -> Recording:
        self._require(CONNECTED)
        timing = self.board.timing
        speech = self.caller.recording() if self.caller is not None else 0.0
        started = self.clock.now()
        if speech <= 0:
            await self._wait(min(max_s, timing.silence_s), on_key=True)
            self._require(CONNECTED)
            return Recording(0.0)
        await self._wait(min(max_s, speech + timing.end_of_speech_s), on_key=True)
        self._require(CONNECTED)
        return Recording(round(min(speech, max_s, self.clock.now() - started), 3))

    async def transfer(self, target: dict, timeout_s: float | None = None) -> str:
        self._require(CONNECTED)
        timing = self.board.timing
        outcome = self.caller.script.transfer if self.caller is not None else "connected"
        delay = {"connected": timing.transfer_s, "busy": timing.busy_s,
                 "noanswer": timeout_s if timeout_s is not None else 30.0,
                 "failed": timing.failed_s}[outcome]
        await self._wait(delay)
        self._require(CONNECTED)
        if outcome == "connected":
            self._gone("transfer")
        return outcome

    async def hangup(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.caller = None
        self._release()

    async def dial(self, to: str, timeout_s: float = 30.0, caller_id: str = "") -> str:
        timing = self.board.timing
        script = self.board.callers.pick()
        self._begin(CallInfo("outbound", caller=caller_id, called=to,
                             offered_at=self.clock.now()), DIALING)
        outcome = script.answer
        ring = timing.ring_s if script.answer_after_s is None else script.answer_after_s
        if outcome == "answered" and ring > timeout_s:
            outcome = "noanswer"
        await self._wait({"answered": ring, "busy": timing.busy_s, "noanswer": timeout_s,
                          "failed": timing.failed_s}[outcome])
        if self.state != DIALING:  # hung up by us meanwhile
            return "failed"
        if outcome != "answered":
            self.call.ended_at, self.call.ended_by = self.clock.now(), outcome
            self.state = NULL
            return outcome
        self.caller = ScriptedCaller(script, self.board.rng, self.board.holding)
        self._connect()
        self.caller.started(self)
        return "answered"


class EmulatorBoard(PortBackend):
    """Emulated boards of channels (ports), the scripted callers behind them and their timing."""

    name = "emulator"

    def __init__(self, boards: int, channels: int, *, clock: Clock | None = None,
                 callers: CallerMix | None = None, timing: Timing | None = None,
                 audio: Mapping[str, float] | None = None, seed: int | None = None,
                 holding: Holding | None = None, measure_latency: bool = False) -> None:
        if boards < 1 or channels < 1:
            raise ValueError(f"a board set needs at least 1 board and 1 channel, "
                             f"not {boards} x {channels}")
        super().__init__()
        self.clock = clock or Clock()
        self.rng = random.Random(seed)
        self.callers = callers or CallerMix(rng=self.rng)
        self.timing = timing or Timing()
        self.audio = dict(audio or {})  # recorded prompt name -> seconds
        self.holding = holding  # callers hang up after a time drawn from it (scripts may override)
        # how late events are handled, in real time (a virtual clock is never late)
        self.latency = LatencyHistogram() if measure_latency else None
        self.ports = [EmulatorPort(f"b{b}c{c}", self)
                      for b in range(1, boards + 1) for c in range(1, channels + 1)]
        self.inbound_cps = 0.0  # calls a second its callers place when it takes inbound calls
        self._traffic: asyncio.Task | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> EmulatorBoard:
        """Build the boards `[voice]` describes: `ports` (default 30), `speed`, `callers`, and
        `inbound_cps`, the calls a second its scripted callers place when serve runs it."""
        voice = settings.get("voice", {})
        callers = voice.get("callers")
        mix = CallerMix(load_callers(root / callers)) if callers else None
        ports = voice.get("ports", DEFAULT_PORTS)
        # E1 boards of 30 channels when the count fills them, else one board of exactly that many
        channels = 30 if ports % 30 == 0 else ports
        board = cls(ports // channels, channels, clock=Clock(voice.get("speed", 1.0)),
                    callers=mix)
        board.inbound_cps = float(voice.get("inbound_cps", 0.0))
        return board

    @property
    def address(self) -> str:
        return f"emulator:{len(self.ports)} ports"

    async def start(self, inbound: Inbound) -> None:
        """Have the scripted callers call in at `inbound_cps` (Poisson), each call offered to
        `inbound` as any backend's; none when it is 0 (the boards then only dial out)."""
        if self.inbound_cps > 0:
            self._traffic = asyncio.get_running_loop().create_task(self._call_in(inbound),
                                                                    name="emulator-traffic")

    async def stop(self) -> None:
        """Stop the callers calling in; calls in progress are the inbound router's to end."""
        if self._traffic is not None:
            self._traffic.cancel()
            await asyncio.gather(self._traffic, return_exceptions=True)
            self._traffic = None

    async def _call_in(self, inbound: Inbound) -> None:
        async for _ in poisson_arrivals(self.inbound_cps, float("inf"), self.clock, self.rng):
            script = self.callers.pick()
            try:
                port = inbound.offer(CallInfo("inbound", caller=script.caller,
                                              called=script.called))
            except EngineError:  # no flow for the number, or no free port: counted, refused
                continue
            self.offer(port, script)
            inbound.connect(port)

    @classmethod
    def with_ports(cls, ports: int, channels: int = 30, **options: Any) -> EmulatorBoard:
        """Return enough boards of `channels` (an E1's 30 by default) for `ports` ports."""
        if ports < 1:
            raise ValueError(f"at least 1 port is needed, not {ports}")
        channels = min(channels, ports)
        return cls(-(-ports // channels), channels, **options)

    def prompt_seconds(self, prompt: dict) -> float:
        """Return how long a prompt plays: speech by its words, recordings and tones by duration."""
        if prompt.get("tone"):
            return float(prompt.get("duration_s") or 0.0)
        if prompt.get("audio"):
            declared = prompt.get("duration_s")
            return float(declared if declared is not None
                         else self.audio.get(prompt["audio"], self.timing.audio_s))
        words = len(str(prompt.get("text") or "").split())
        if not words:
            return 0.0
        return max(self.timing.min_prompt_s, words * 60.0 / self.timing.words_per_minute)

    def offer(self, port: EmulatorPort, script: CallerScript | None = None, *,
              caller: str | None = None, called: str | None = None) -> None:
        """Ring an inbound call on an idle port (event `offered`); its caller follows `script`."""
        script = script or self.callers.pick()
        port._begin(CallInfo("inbound", caller=script.caller if caller is None else caller,
                             called=script.called if called is None else called,
                             offered_at=self.clock.now()), OFFERED)
        port.caller = ScriptedCaller(script, self.rng, self.holding)
        port._event("offered")
        port.caller.started(port)


__all__ = ["EmulatorBoard", "EmulatorPort", "Timing"]
