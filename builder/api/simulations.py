"""Simulations: the editor's simulator chats with a flow's draft a turn at a time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, url_for

from runtime.commands import SimulatedTurn, Simulator, parse_now

from ..auth import requires
from ..errors import BadRequest
from . import current_runtime, current_store, json_response
from .body import kind_of, pointer_of
from .executions import read_json

bp = Blueprint("simulations", __name__)

SIMULATOR_EXTENSION = "callwright.simulator"
CHANNELS = ("chat", "voice", "sms")
START_FIELDS = ("channel", "trigger", "vars", "now", "from", "to")
MAX_TEXT = 4096


def current_simulator() -> Simulator:
    """Return the simulator of the app handling this request (made on first use)."""
    extensions = current_app.extensions
    simulator = extensions.get(SIMULATOR_EXTENSION)
    if simulator is None:
        simulator = extensions.setdefault(SIMULATOR_EXTENSION, Simulator(current_runtime()))
    return simulator


@bp.post("/flows/<flow_id>/simulations")
@requires("editor")
def start_simulation(flow_id: str) -> Response:
    """Start a simulation of a flow's draft on a channel; 201 with its first turn."""
    body = read_json()
    problems = check_start(body)
    if problems:
        raise BadRequest.fields(problems)
    simulator = current_simulator()
    flow = simulator.compile(flow_id, draft_of(flow_id))
    turn = simulator.start(flow, body["channel"], trigger_text=body.get("trigger"),
                           vars=body.get("vars"), sender=body.get("from"), to=body.get("to"),
                           now=parse_now(body["now"]) if body.get("now") else None)
    response = json_response(shown(turn), status=201)
    response.headers["Location"] = url_for(".get_simulation", simulation_id=turn.session.id)
    return response


@bp.post("/simulations/<simulation_id>/inputs")
@requires("editor")
def send_input(simulation_id: str) -> Response:
    """Hand the simulation's waiting block an input and return that turn."""
    body = read_json()
    problems = check_input(body)
    if problems:
        raise BadRequest.fields(problems)
    return json_response(shown(current_simulator().send(simulation_id, body["text"])))


@bp.get("/simulations/<simulation_id>")
@requires("editor")
def get_simulation(simulation_id: str) -> Response:
    """Return every event of a simulation so far, the whole path, its variables and if it ended."""
    simulator = current_simulator()
    session = simulator.session(simulation_id)
    return json_response({"simulation": session.id, "events": simulator.events(session.id),
                          "path": simulator.path(session.id), "vars": session.vars,
                          "ended": session.status == "ended"})


def draft_of(flow_id: str) -> Any:
    """Return the flow's draft as the editor keeps it; its published file when it has no draft."""
    # a draft is saved as it is, even invalid: compiling it says what stops it running
    return current_store().working_copy(flow_id).document


def shown(turn: SimulatedTurn) -> dict:
    """Return the JSON answer of a simulated turn."""
    return {"simulation": turn.session.id, "events": turn.events, "path": turn.path,
            "vars": turn.vars, "ended": turn.ended}


def check_start(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a simulation's start."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"channel\": \"chat\"}}, not {kind_of(body)}")]
    problems = []
    if "channel" not in body:
        problems.append(("/channel", "is required"))
    elif body["channel"] not in CHANNELS:
        problems.append(("/channel", f"must be one of {', '.join(CHANNELS)}, not "
                                     f"{body['channel']!r}"))
    for field in ("trigger", "from", "to"):
        problems += check_text(body, field, nullable=True)
    if body.get("vars") is not None and not isinstance(body["vars"], dict):
        problems.append(("/vars", f"must be an object of variable values, not "
                                  f"{kind_of(body['vars'])}"))
    problems += check_now(body)
    problems += [(pointer_of(key), f"is not a field of a simulation (expected "
                                   f"{', '.join(START_FIELDS)})")
                 for key in body if key not in START_FIELDS]
    return problems


def check_input(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a simulation's input."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"text\": \"1\"}}, not {kind_of(body)}")]
    problems = [] if "text" in body else [("/text", "is required (\"\" is a wait with no answer)")]
    problems += check_text(body, "text", nullable=False)
    problems += [(pointer_of(key), "is not a field of an input (expected text)")
                 for key in body if key != "text"]
    return problems


def check_text(body: dict, field: str, *, nullable: bool) -> list[tuple[str, str]]:
    """Return the problems of an optional text field of at most MAX_TEXT characters."""
    value = body.get(field)
    if value is None and (nullable or field not in body):
        return []
    if not isinstance(value, str):
        return [(f"/{field}", f"must be a string, not {kind_of(value)}")]
    if len(value) > MAX_TEXT:
        return [(f"/{field}", f"must be at most {MAX_TEXT} characters, not {len(value)}")]
    return []


def check_now(body: dict) -> list[tuple[str, str]]:
    """Return the problem of `now`, an ISO-8601 moment (UTC when it has no offset)."""
    value = body.get("now")
    if value is None:
        return []
    if not isinstance(value, str):
        return [("/now", f"must be an ISO-8601 date and time string, not {kind_of(value)}")]
    try:
        parse_now(value)
    except ValueError:
        return [("/now", f"must be an ISO-8601 date and time like 2024-03-04T09:30:00+01:00, "
                         f"not {value!r}")]
    return []
