"""Validation of flows, routes and workspaces: every problem, sorted, with where it is."""

from .bots import BOT_KIND, INTENT_EXITS, example_key, intent_exits, validate_bot
from .files import (flow_id_problems, read_bots, read_responses, validate_file, validate_routes,
                    validate_workspace)
from .flow import MAX_BLOCKS, validate_flow
from .graph import subflow_calls
from .problem import ERROR, WARNING, Problem, has_errors
from .responses import validate_responses
from .source import locate, parse_json, read_json
from .workers import (FlowTooLarge, ValidationBusy, ValidationPool, check_flow_text, report_json,
                      shared_validation_pool)

__all__ = ["BOT_KIND", "ERROR", "INTENT_EXITS", "MAX_BLOCKS", "WARNING", "FlowTooLarge", "Problem",
           "ValidationBusy", "ValidationPool", "check_flow_text", "example_key",
           "flow_id_problems", "has_errors", "intent_exits", "locate", "parse_json", "read_bots",
           "read_json", "read_responses", "report_json", "shared_validation_pool",
           "subflow_calls", "validate_bot", "validate_file", "validate_flow",
           "validate_responses", "validate_routes", "validate_workspace"]
