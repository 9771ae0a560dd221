"""The Dialogic-style emulator: boards of ports, scripted callers and Poisson traffic."""

from .board import EmulatorBoard, EmulatorPort, Timing
from .callers import (DEFAULT_CALLERS, CallerMix, CallerScript, InvalidCallers, ScriptedCaller,
                      load_callers, parse_callers)
from .traffic import PoissonTraffic, poisson_arrivals

__all__ = ["DEFAULT_CALLERS", "CallerMix", "CallerScript", "EmulatorBoard", "EmulatorPort",
           "InvalidCallers", "PoissonTraffic", "ScriptedCaller", "Timing", "load_callers",
           "parse_callers", "poisson_arrivals"]
