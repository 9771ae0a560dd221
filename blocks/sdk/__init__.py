"""The block SDK: what a block is, what it may touch, and how to test it."""

from .block import ERROR_EXIT, Block, Exit, pointer_token, read_manifest, undeclared_exit
from .context import Context
from .errors import CALLER_HANGUP, BlockError, ConfigurationError, EndSession, EnterSubflow, Signal, Suspend
from .host import Classification, Host, HttpRequest, HttpResponse, Input, ScriptResult

SDK_VERSION = "1.0"

__all__ = ["CALLER_HANGUP", "ERROR_EXIT", "Block", "BlockError", "Classification", "ConfigurationError", "Context", "EndSession", "EnterSubflow",
           "Exit", "Host", "HttpRequest", "HttpResponse", "Input", "SDK_VERSION", "ScriptResult", "Signal",
           "Suspend", "pointer_token", "read_manifest", "undeclared_exit"]
