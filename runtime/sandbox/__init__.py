"""The script sandbox: RestrictedPython's policy, a vetted library, and a pool of worker processes.

Only this package imports RestrictedPython.
"""

from .policy import ScriptProblem, check, check_expression, evaluate, run_script
from .pool import Limits, ScriptError, ScriptPool, configure_shared_pool, shared_pool

__all__ = ["Limits", "ScriptError", "ScriptPool", "ScriptProblem", "check", "check_expression",
           "configure_shared_pool", "evaluate", "run_script", "shared_pool"]
