"""The workspace: settings, routes and the live flows, loaded from a folder kept in git."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from blocks import Registry
from runtime.engine.compiled import Flow, compile_flow, flow_version
from runtime.errors import FlowNotFound, InvalidFlow
from runtime.validation import flow_id_problems, locate, read_json, validate_routes

from .settings import load_settings

log = logging.getLogger(__name__)


@dataclass
class Workspace:
    """What is live: compiled flows by id, plus every problem that kept a file from going live."""

    root: Path | None
    registry: Registry
    settings: dict = field(default_factory=dict)
    routes: dict = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    docs: dict[str, dict] = field(default_factory=dict)
    problems: dict[str, list] = field(default_factory=dict)
    # where every version that went live is kept, so that a session waiting in one resumes in it
    # after a deploy or a restart, in any process (None: this process's memory only)
    archive: Path | None = None
    _versions: dict[tuple[str, str], Flow] = field(default_factory=dict)
    _not_kept: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, root: str | Path | None, registry: Registry,
             environ: Mapping[str, str] = os.environ, *,
             archive: Path | None = None) -> Workspace:
        """Load a workspace folder; a file that fails validation is reported, not taken live."""
        path = Path(root) if root is not None else None
        workspace = cls(root=path, registry=registry, settings=load_settings(path, environ),
                        archive=archive)
        if path is None:
            return workspace
        texts: dict[str, str] = {}
        for file in sorted((path / "flows").glob("*.json")):
            text, doc, problems = read_json(file)
            problems = problems or locate(flow_id_problems(doc, file), text or "", str(file))
            if problems:
                workspace.problems[str(file)] = problems
            else:
                workspace.docs[file.stem] = doc
                texts[file.stem] = text or ""
        routes_file = path / "routes.json"
        if routes_file.exists():
            text, routes, problems = read_json(routes_file)
            problems = problems or locate(validate_routes(routes, set(workspace.docs)),
                                          text or "", str(routes_file))
            if problems:
                workspace.problems[str(routes_file)] = problems
            else:
                workspace.routes = routes
        for flow_id, doc in list(workspace.docs.items()):
            workspace.add(doc, source=str(path / "flows" / f"{flow_id}.json"), text=texts[flow_id])
        return workspace

    def add(self, doc: dict, source: str | None = None, text: str | None = None) -> Flow | None:
        """Compile a flow document and make it live; on errors record them and return None."""
        flow_id = doc.get("id") if isinstance(doc, dict) else None
        try:
            flow = compile_flow(doc, self.registry,
                                flows={**self.docs, **({flow_id: doc} if flow_id else {})})
        except InvalidFlow as exc:
            problems = exc.problems
            if source and text is not None:
                problems = locate(problems, text, source)
            self.problems[source or str(flow_id)] = problems
            log.warning("flow %s not taken live: %s", source or flow_id, exc)
            return None
        self.docs[flow.id] = doc
        self.flows[flow.id] = flow
        self._versions[(flow.id, flow.version)] = flow
        self._keep(flow)
        return flow

    def flow(self, flow_id: str, version: str | None = None) -> Flow:
        """Return the live flow, or the given version of it while it is kept (see `archive`)."""
        if version is not None:
            kept = self._versions.get((flow_id, version)) or self._kept(flow_id, version)
            if kept is not None:
                return kept
        live = self.flows.get(flow_id)
        if live is None:
            raise FlowNotFound(f"no live flow with id {flow_id!r}")
        if version is not None and version != live.version:
            log.warning("flow %s version %s is gone; the session goes on with %s",
                        flow_id, version, live.version)
        return live

    def _keep(self, flow: Flow) -> None:
        """Write a live version to the archive once (whole or not at all)."""
        if self.archive is None:
            return
        path = self.archive / flow.id / f"{flow.version}.json"
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(f".{path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(flow.doc, ensure_ascii=False), "utf-8")
            os.replace(part, path)
        except OSError as exc:  # sessions of this version then resume in the live one
            log.warning("could not keep flow %s version %s in %s: %s", flow.id, flow.version,
                        self.archive, exc)

    def _kept(self, flow_id: str, version: str) -> Flow | None:
        """Compile an earlier version from the archive, or return None if it is not there.

        Either answer is remembered: every turn of a session from before an upgrade asks again.
        """
        if self.archive is None:
            return None
        if (flow_id, version) in self._not_kept:
            return None
        path = self.archive / flow_id / f"{version}.json"
        try:
            doc = json.loads(path.read_text("utf-8"))
            if not isinstance(doc, dict) or doc.get("id") != flow_id \
                    or flow_version(doc) != version:
                raise ValueError(f"{path} holds another flow or version")
            flow = compile_flow(doc, self.registry, flows={**self.docs, flow_id: doc})
        except FileNotFoundError:
            self._not_kept.add((flow_id, version))
            return None
        except (OSError, ValueError, InvalidFlow) as exc:  # a block type gone since, say
            log.warning("kept flow %s version %s cannot run again: %s", flow_id, version, exc)
            self._not_kept.add((flow_id, version))
            return None
        self._versions[(flow_id, version)] = flow
        return flow

    def route(self, channel: str, address: str) -> str | None:
        """Return the flow id routed for an address on a channel (`*` is the fallback)."""
        table = self.routes.get(channel) or {}
        return table.get(address) or table.get("*")


def read_flow_file(path: str | Path) -> tuple[str | None, dict | None, list]:
    """Read a flow file; return its text, its document and the problems that stop it parsing."""
    return read_json(Path(path))
