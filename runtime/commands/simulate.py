"""`callwright simulate`: one session of a flow file with scripted inputs, as a transcript.

A simulation records nothing: a `record` block shows its `record` event (prompt, max_s, beep)
and takes `noinput` on every channel, voice included, without using up an input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from blocks import Registry, default_registry
from runtime.channels import channel_named
from runtime.engine.compiled import Flow
from runtime.engine.engine import Turn
from runtime.engine import InputSource, ScriptedInputs
from runtime.media import TextToSpeech
from runtime.sessions import Session
from runtime.speech import Listening
from runtime.engine.threadloop import run_sync
from runtime.errors import InvalidFlow
from runtime.runtime import Runtime
from runtime.workspace.live import Workspace, read_flow_file

from .simulator import simulated_session, simulation_host
from .spoken import SpokenInputs

# dispositions that mean the flow itself went wrong (exit code 1)
FAILED_DISPOSITIONS = frozenset({"error", "max_steps", "max_session_time"})


@dataclass
class Simulation:
    """How a simulated session ended."""

    disposition: str | None
    steps: int
    vars: dict

    @property
    def exit_code(self) -> int:
        """Return 0 for a session that ended normally, 1 for one the flow failed."""
        return 1 if self.disposition in FAILED_DISPOSITIONS else 0


def simulate(flow_file: str | Path, *, channel: str, inputs: Sequence[str] = (),
             trigger_text: str | None = None, vars: Mapping | None = None,
             sender: str | None = None, to: str | None = None, now: datetime | None = None,
             workspace: str | Path | None = None, emit: Callable[[dict], None] = print,
             registry: Registry | None = None,
             environ: Mapping[str, str] = os.environ) -> Simulation:
    """Run one session of a flow file as it stands; raise InvalidFlow when it cannot run."""
    channel_named(channel)  # unknown channels fail before anything runs
    space, flow = load_flow(flow_file, workspace=workspace, registry=registry, environ=environ)
    runtime = Runtime(space, environ=environ)
    session: Session | None = None
    if channel == "voice":  # speech:TEXT and audio:PATH are heard by the recogniser
        language = flow.settings.get("language")
        answers: InputSource = SpokenInputs(
            inputs, channel_named(channel), Listening(space.settings, space.root, space.bot),
            TextToSpeech.from_settings(space.settings),
            lambda: (session.contact.get("language") if session else None) or language)
    else:
        answers = ScriptedInputs(inputs, channel_named(channel))
    host = simulation_host(runtime, channel, answers, emit, now)
    session = simulated_session(runtime.engine, flow, channel, trigger_text=trigger_text,
                                vars=vars, sender=sender, to=to, now=now)
    try:
        run_sync(runtime.engine.run(session, host, Turn(session)))
    finally:
        runtime.close()
    return Simulation(session.disposition, session.steps, session.vars)


def load_flow(flow_file: str | Path, *, workspace: str | Path | None = None,
              registry: Registry | None = None,
              environ: Mapping[str, str] = os.environ) -> tuple[Workspace, Flow]:
    """Load a flow file as it stands into its workspace (for subflows and settings).

    The workspace is `workspace`, else the one the file lies in; raise InvalidFlow with every
    problem when the file cannot run.
    """
    text, doc, problems = read_flow_file(flow_file)
    if problems:
        raise InvalidFlow(f"{flow_file} cannot be read", problems)
    root = Path(workspace) if workspace else _workspace_of(Path(flow_file))
    space = Workspace.load(root, registry or default_registry(), environ)
    space.problems.clear()  # other files' problems do not concern this run
    flow = space.add(doc, source=str(flow_file), text=text)
    if flow is None:
        raise InvalidFlow(f"{flow_file} is not a valid flow", space.problems[str(flow_file)])
    return space, flow


def _workspace_of(flow_file: Path) -> Path | None:
    """Return the workspace a flow file lies in (`<ws>/flows/x.json`), if it lies in one."""
    parent = flow_file.resolve().parent
    return parent.parent if parent.name == "flows" else None
