"""The pooled port engine: one per-port API, a pool, and voice calls on ports; backends below."""

from .call import VoiceCall, run_call
from .clock import REAL_TIME, Clock, VirtualClock, VirtualTimeLoop
from .pool import NoFreePort, PoolStats, PortPool
from .port import (CALL_STATES, PORT_EVENTS, CallerHungUp, CallInfo, Port, PortBackend, PortError,
                   PortEvent, Recording)

__all__ = ["CALL_STATES", "PORT_EVENTS", "REAL_TIME", "CallInfo", "CallerHungUp", "Clock",
           "NoFreePort", "PoolStats", "Port", "PortBackend", "PortError", "PortEvent", "PortPool",
           "Recording", "VirtualClock", "VirtualTimeLoop", "VoiceCall", "run_call"]
