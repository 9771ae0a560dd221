"""The script sandbox: RestrictedPython's policy, a vetted library, and a pool of worker processes.

Only this package imports RestrictedPython.
"""

from .policy import ScriptProblem, check, check_expression, evaluate, run_script
from .pool import (Limits, ScriptError, ScriptPool, ScriptPoolBusy, configure_shared_pool,
                   pool_options, shared_pool)

__all__ = ["Limits", "ScriptError", "ScriptPool", "ScriptPoolBusy", "ScriptProblem", "check",
           "check_expression", "configure_shared_pool", "evaluate", "pool_options", "run_script",
           "shared_pool"]
