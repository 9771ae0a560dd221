"""What `callwright simulate` and `callwright emulate` run without a server, and the editor's
simulator: one session, traffic on a board, or a simulated session a turn at a time."""

from .emulate import emulate
from .simulate import Simulation, load_flow, simulate
from .simulator import SimulatedTurn, Simulator, parse_now

__all__ = ["SimulatedTurn", "Simulation", "Simulator", "emulate", "load_flow", "parse_now",
           "simulate"]
