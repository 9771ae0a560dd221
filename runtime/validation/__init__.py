"""Validation of flows, routes and workspaces: every problem, sorted, with where it is."""

from .files import flow_id_problems, validate_file, validate_routes, validate_workspace
from .flow import validate_flow
from .problem import ERROR, WARNING, Problem, has_errors
from .source import locate, parse_json, read_json

__all__ = ["ERROR", "WARNING", "Problem", "flow_id_problems", "has_errors", "locate", "parse_json", "read_json",
           "validate_file", "validate_flow", "validate_routes", "validate_workspace"]
