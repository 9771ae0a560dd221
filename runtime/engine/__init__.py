"""The engine: flows compiled for running, and sessions run through them a turn at a time."""

from .compiled import DEFAULT_SETTINGS, Flow, Node, compile_flow, flow_version
from .engine import ContactHook, Engine, FlowSource, StepLog, Turn
from .inputs import InputSource, ScriptedInputs, TurnInputs
from .session_host import Recorded, Recorder, SessionHost, Transferor
from .threadloop import run_sync, thread_loop

__all__ = ["ContactHook", "DEFAULT_SETTINGS", "Engine", "Flow", "FlowSource", "InputSource", "Node",
           "Recorded", "Recorder", "ScriptedInputs", "SessionHost", "StepLog", "Transferor", "Turn",
           "TurnInputs", "compile_flow", "flow_version", "run_sync", "thread_loop"]
