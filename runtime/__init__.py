"""The runtime: flows compiled and run on every channel, with their sessions and logs."""

from .engine import Engine, Turn
from .errors import (EngineError, FlowNotFound, InvalidFlow, SessionBusy, SessionEnded,
                     SessionNotFound)
from .flow import Flow, compile_flow
from .loop import run_sync
from .service import Runtime
from .simulator import Simulation, simulate
from .workspace import Workspace

__all__ = ["Engine", "EngineError", "Flow", "FlowNotFound", "InvalidFlow", "Runtime",
           "SessionBusy", "SessionEnded", "SessionNotFound", "Simulation", "Turn", "Workspace",
           "compile_flow", "run_sync", "simulate"]
