"""The runtime: flows compiled and run on every channel, with their sessions and logs."""

from .commands import Simulation, simulate
from .engine import Engine, Flow, Turn, compile_flow, run_sync
from .errors import (EngineError, FlowNotFound, InvalidFlow, SessionBusy, SessionEnded,
                     SessionNotFound)
from .runtime import Runtime
from .workspace import Workspace

__all__ = ["Engine", "EngineError", "Flow", "FlowNotFound", "InvalidFlow", "Runtime",
           "SessionBusy", "SessionEnded", "SessionNotFound", "Simulation", "Turn", "Workspace",
           "compile_flow", "run_sync", "simulate"]
