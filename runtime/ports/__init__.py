"""The pooled port engine: one per-port API, a pool, the emulator backend and voice calls on ports."""

from .call import VoiceCall, run_call
from .callers import CallerMix, CallerScript, InvalidCallers, load_callers, parse_callers
from .clock import REAL_TIME, Clock
from .emulation import emulate
from .emulator import EmulatorBoard, EmulatorPort, Timing
from .pool import NoFreePort, PoolStats, PortPool
from .port import (
    CALL_STATES,
    PORT_EVENTS,
    CallerHungUp,
    CallInfo,
    Port,
    PortBackend,
    PortError,
    PortEvent,
    Recording,
)
from .traffic import PoissonTraffic, poisson_arrivals

__all__ = ["CALL_STATES", "PORT_EVENTS", "REAL_TIME", "CallInfo", "CallerHungUp", "CallerMix",
           "CallerScript", "Clock", "EmulatorBoard", "EmulatorPort", "InvalidCallers",
           "NoFreePort", "PoissonTraffic", "PoolStats", "Port", "PortBackend", "PortError",
           "PortEvent", "PortPool", "Recording", "Timing", "VoiceCall", "emulate",
           "load_callers", "parse_callers", "poisson_arrivals", "run_call"]
