"""What `callwright simulate` and `callwright emulate` run: one session, or traffic on a board."""

from .emulate import emulate
from .simulate import Simulation, load_flow, simulate

__all__ = ["Simulation", "emulate", "load_flow", "simulate"]
