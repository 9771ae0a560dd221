"""The Dialogic-style emulator: boards of ports, scripted callers and Poisson traffic."""

from .board import EmulatorBoard, EmulatorPort, Timing
from .callers import (DEFAULT_CALLERS, CallerMix, CallerScript, InvalidCallers, ScriptedCaller,
                      load_callers, parse_callers)
from .holding import Holding, InvalidHolding, parse_holding
from .latency import LatencyHistogram
from .traffic import PoissonTraffic, erlang_b, poisson_arrivals

__all__ = ["DEFAULT_CALLERS", "CallerMix", "CallerScript", "EmulatorBoard", "EmulatorPort",
           "Holding", "InvalidCallers", "InvalidHolding", "LatencyHistogram", "PoissonTraffic",
           "ScriptedCaller", "Timing", "erlang_b", "load_callers", "parse_callers",
           "parse_holding", "poisson_arrivals"]
