"""The workspace: settings, routes and the live flows, loaded from a folder kept in git."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from blocks import Registry
from runtime.bots import Bot, InvalidBot, LexicalMatcher, Matcher, compile_bot, matcher_for
from runtime.engine.compiled import Flow, compile_flow, flow_version
from runtime.errors import FlowNotFound, InvalidFlow
from runtime.responses import ResponseLibrary, read_set
from runtime.validation import Problem, flow_id_problems, locate, read_json, validate_routes

from .settings import load_settings

log = logging.getLogger(__name__)

ROUTES_FILE = "routes.json"
BOTS_FOLDER = "bots"
RESPONSES_FOLDER = "responses"
# versions that are not live held compiled in memory; older ones are read from the archive again
MEMORY_VERSIONS = 32
# what tells that a file changed on disk: a new inode (an atomic replace, a git checkout), a
# new modification time or a new size
Stamp = tuple[int, int, int]


@dataclass(frozen=True)
class Reloaded:
    """What a reload changed: flows taken live, flows taken out, files refused, new routes."""

    live: tuple[str, ...] = ()  # flow ids whose new or changed file went live
    removed: tuple[str, ...] = ()  # flow ids whose file is gone
    refused: Mapping[str, list[Problem]] = field(default_factory=dict)  # file -> its problems
    routes: bool = False  # routes.json changed and its new table is live
    bots: tuple[str, ...] = ()  # bot ids whose file went live or is gone
    responses: tuple[str, ...] = ()  # responses set ids whose file went live or is gone

    @property
    def changed(self) -> bool:
        """Return whether anything went live or was taken out."""
        return bool(self.live or self.removed or self.routes or self.bots or self.responses)


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
    # the live bots, compiled (their index built once per version), and their documents by id
    # (None for a bot whose file never validated: flows may name it, classifying fails)
    bots: dict[str, Bot] = field(default_factory=dict)
    bot_docs: dict[str, Any] = field(default_factory=dict)
    # the live responses sets (a set file that fails validation keeps its live version)
    responses: ResponseLibrary = field(default_factory=ResponseLibrary)
    # what matches messages to intents (`[bots] matcher`), chosen once when the workspace loads
    matcher: type[Matcher] = LexicalMatcher
    # where every version that went live is kept, so that a session waiting in one resumes in it
    # after a deploy or a restart, in any process (None: this process's memory only)
    archive: Path | None = None
    _versions: OrderedDict[tuple[str, str], Flow] = field(default_factory=OrderedDict)
    _versions_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _not_kept: set[tuple[str, str]] = field(default_factory=set)
    _stamps: dict[Path, Stamp] = field(default_factory=dict)
    _reloading: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, root: str | Path | None, registry: Registry,
             environ: Mapping[str, str] = os.environ, *,
             archive: Path | None = None) -> Workspace:
        """Load a workspace folder; a file that fails validation is reported, not taken live."""
        path = Path(root) if root is not None else None
        settings = load_settings(path, environ)
        workspace = cls(root=path, registry=registry, settings=settings, archive=archive,
                        matcher=matcher_for(settings))
        workspace.reload()
        return workspace

    def reload(self) -> Reloaded:
        """Take live the flow files and routes.json changed on disk since the last look.

        A new or changed flow file that fails validation is not taken live: the version that
        was live keeps running and the file's problems are in `problems` (and the answer). A
        deleted file takes its flow out; sessions already running finish on their version.
        Only files whose stamp (inode, mtime, size) changed are read again. Thread-safe: the
        tables are swapped whole, so a reader sees them before or after, never half-changed.
        """
        if self.root is None:
            return Reloaded()
        with self._reloading:
            found = _stamps(self.root)
            changed = [path for path, stamp in found.items() if self._stamps.get(path) != stamp]
            gone = [path for path in self._stamps if path not in found]
            if not changed and not gone:
                return Reloaded()
            answer = _Reload(self)
            # bots and responses first: the flows that arrive with them are checked against them
            answer.take_bots([path for path in changed if _is_bot(path)],
                             [path for path in gone if _is_bot(path)])
            answer.take_responses([path for path in changed if _is_set(path)],
                                  [path for path in gone if _is_set(path)])
            answer.take_out([path for path in gone if _is_flow(path)])
            answer.take_in([path for path in changed if _is_flow(path)])
            routes = self.root / ROUTES_FILE
            if routes in changed or routes in gone or answer.live or answer.removed:
                answer.read_routes(routes)
            result = answer.result()
            self.flows, self.docs, self.problems = answer.flows, answer.docs, answer.problems
            self.bots, self.bot_docs = answer.bots, answer.bot_docs
            self.responses = ResponseLibrary(answer.sets)
            self.routes = answer.routes
            self._stamps = found
            return result

    def add(self, doc: dict, source: str | None = None, text: str | None = None) -> Flow | None:
        """Compile a flow document and make it live; on errors record them and return None."""
        flow_id = doc.get("id") if isinstance(doc, dict) else None
        try:
            flow = compile_flow(doc, self.registry,
                                flows={**self.docs, **({flow_id: doc} if flow_id else {})},
                                bots=self.bot_docs, responses=self.responses.sets)
        except InvalidFlow as exc:
            problems = exc.problems
            if source and text is not None:
                problems = locate(problems, text, source)
            self.problems[source or str(flow_id)] = problems
            log.warning("flow %s not taken live: %s", source or flow_id, exc)
            return None
        self.docs[flow.id] = doc
        self.flows[flow.id] = flow
        self._remember(flow)
        self._keep(flow)
        return flow

    def flow(self, flow_id: str, version: str | None = None) -> Flow:
        """Return the live flow, or the given version of it while it is kept (see `archive`)."""
        live = self.flows.get(flow_id)
        if version is not None and (live is None or version != live.version):
            kept = self._remembered((flow_id, version)) or self._kept(flow_id, version)
            if kept is not None:
                return kept
        if live is None:
            raise FlowNotFound(f"no live flow with id {flow_id!r}")
        if version is not None and version != live.version:
            log.warning("flow %s version %s is gone; the session goes on with %s",
                        flow_id, version, live.version)
        return live

    def _remember(self, flow: Flow) -> None:
        """Hold a compiled version in memory, letting go of the least recently used beyond
        MEMORY_VERSIONS when the archive can give them back."""
        with self._versions_lock:
            self._versions[(flow.id, flow.version)] = flow
            self._versions.move_to_end((flow.id, flow.version))
            while self.archive is not None and len(self._versions) > MEMORY_VERSIONS:
                self._versions.popitem(last=False)

    def _remembered(self, key: tuple[str, str]) -> Flow | None:
        """Return a compiled version held in memory, None when it is not."""
        with self._versions_lock:
            flow = self._versions.get(key)
            if flow is not None:
                self._versions.move_to_end(key)
            return flow

    def keep(self, flow: Flow) -> None:
        """Keep a version that is not live (a draft in the editor's simulator) for every process."""
        self._keep(flow)

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
        if (flow_id, version) in self._not_kept:
            return None
        flow = self.kept(flow_id, version)
        if flow is None:
            self._not_kept.add((flow_id, version))
            return None
        self._remember(flow)
        return flow

    def kept(self, flow_id: str, version: str) -> Flow | None:
        """Compile a version from the archive, remembering nothing; None if it is not there."""
        if self.archive is None:
            return None
        path = self.archive / flow_id / f"{version}.json"
        try:
            doc = json.loads(path.read_text("utf-8"))
            if not isinstance(doc, dict) or doc.get("id") != flow_id \
                    or flow_version(doc) != version:
                raise ValueError(f"{path} holds another flow or version")
            return compile_flow(doc, self.registry, flows={**self.docs, flow_id: doc},
                                bots=self.bot_docs)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, InvalidFlow) as exc:  # a block type gone since, say
            log.warning("kept flow %s version %s cannot run again: %s", flow_id, version, exc)
            return None

    def bot(self, bot_id: str) -> Bot | None:
        """Return the live version of a bot, None when the workspace has none by that id."""
        return self.bots.get(bot_id)

    def response(self, name: str, channel: str, language: str) -> dict:
        """Return the content of a live named response for a channel and language (unrendered);
        raise UnknownResponse when there is none. Only voice can play a variant that has a
        recording and no text: every other channel passes such variants by."""
        return self.responses.content(name, channel, language, needs_text=channel != "voice")

    def route(self, channel: str, address: str) -> str | None:
        """Return the flow id routed for an address on a channel (`*` is the fallback)."""
        table = self.routes.get(channel) or {}
        return table.get(address) or table.get("*")


class _Reload:
    """One reload's work on copies of the workspace's tables, which it then swaps in whole."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.flows = dict(workspace.flows)
        self.docs = dict(workspace.docs)
        self.problems = dict(workspace.problems)
        self.bots = dict(workspace.bots)
        self.bot_docs = dict(workspace.bot_docs)
        self.sets = dict(workspace.responses.sets)
        self.routes = workspace.routes
        self.live: list[str] = []
        self.removed: list[str] = []
        self.bots_changed: list[str] = []
        self.sets_changed: list[str] = []
        self.refused: dict[str, list[Problem]] = {}

    def take_bots(self, changed: list[Path], gone: list[Path]) -> None:
        """Take out the bots whose files are gone; compile and take live the changed ones.

        A bot file that fails validation is not taken live: the version that was live keeps
        answering, and the file's problems are recorded.
        """
        for path in gone:
            self.problems.pop(str(path), None)
            self.bot_docs.pop(path.stem, None)
            if self.bots.pop(path.stem, None) is not None:
                self.bots_changed.append(path.stem)
        for path in sorted(changed):
            text, doc, problems = read_json(path)
            problems = problems or locate(flow_id_problems(doc, path, "bot"), text or "",
                                          str(path))
            if not problems:
                try:
                    bot = compile_bot(doc, self.workspace.matcher)
                except InvalidBot as exc:
                    problems = locate(exc.problems, text or "", str(path))
            if problems:
                self.refuse(path, problems)
                self.bot_docs.setdefault(path.stem, None)
                continue
            self.problems.pop(str(path), None)
            if path.stem not in self.bots or self.bots[path.stem].version != bot.version:
                self.bots_changed.append(path.stem)
            self.bots[path.stem] = bot
            self.bot_docs[path.stem] = doc

    def take_responses(self, changed: list[Path], gone: list[Path]) -> None:
        """Take out the responses sets whose files are gone; take live the changed ones that
        validate (a refused one keeps its live version)."""
        for path in gone:
            self.problems.pop(str(path), None)
            if self.sets.pop(path.stem, None) is not None:
                self.sets_changed.append(path.stem)
        for path in sorted(changed):
            doc, problems = read_set(path)
            if problems:
                self.refuse(path, problems)
                continue
            self.problems.pop(str(path), None)
            if self.sets.get(path.stem) != doc:
                self.sets_changed.append(path.stem)
            self.sets[path.stem] = doc

    def take_out(self, paths: list[Path]) -> None:
        """Take out the flows whose files are gone."""
        for path in paths:
            self.problems.pop(str(path), None)
            self.docs.pop(path.stem, None)
            if self.flows.pop(path.stem, None) is not None:
                self.removed.append(path.stem)

    def take_in(self, paths: list[Path]) -> None:
        """Read new and changed flow files; take live each one that validates."""
        parsed: dict[Path, tuple[dict, str]] = {}
        for path in sorted(paths):
            text, doc, problems = read_json(path)
            problems = problems or locate(flow_id_problems(doc, path), text or "", str(path))
            if problems:
                self.refuse(path, problems)
            else:
                parsed[path] = (doc, text or "")
        # flows that arrive together may call each other as subflows
        candidates = {**self.docs, **{path.stem: doc for path, (doc, _) in parsed.items()}}
        for path, (doc, text) in parsed.items():
            self.take(path, doc, text, candidates)

    def take(self, path: Path, doc: dict, text: str, candidates: Mapping[str, dict]) -> None:
        """Compile one flow file's document and take it live, or refuse it with its problems."""
        flow_id = path.stem
        current = self.flows.get(flow_id)
        if current is not None and current.version == flow_version(doc):
            self.problems.pop(str(path), None)  # the file is back to what runs
            return
        try:
            flow = compile_flow(doc, self.workspace.registry, flows=candidates,
                                bots=self.bot_docs, responses=self.sets)
        except InvalidFlow as exc:
            self.refuse(path, locate(exc.problems, text, str(path)))
            if current is None:
                self.docs[flow_id] = doc  # still a flow other flows may name, as at load
            return
        self.flows[flow_id] = flow
        self.docs[flow_id] = doc
        self.problems.pop(str(path), None)
        self.workspace._remember(flow)
        self.workspace._keep(flow)
        self.live.append(flow_id)

    def read_routes(self, path: Path) -> None:
        """Take routes.json live if it validates against the flows; else keep the routes that run."""
        if not path.exists():
            self.problems.pop(str(path), None)
            self.routes = {}
            return
        text, routes, problems = read_json(path)
        problems = problems or locate(validate_routes(routes, set(self.docs)), text or "",
                                      str(path))
        if problems:
            self.refuse(path, problems)
            return
        self.problems.pop(str(path), None)
        self.routes = routes

    def refuse(self, path: Path, problems: list[Problem]) -> None:
        """Record why a file was not taken live."""
        self.problems[str(path)] = problems
        self.refused[str(path)] = problems
        log.warning("%s not taken live (%d problem(s)): %s", path, len(problems), problems[0])

    def result(self) -> Reloaded:
        """Return what this reload changed."""
        return Reloaded(live=tuple(self.live), removed=tuple(sorted(self.removed)),
                        refused=self.refused, routes=self.routes != self.workspace.routes,
                        bots=tuple(sorted(self.bots_changed)),
                        responses=tuple(sorted(self.sets_changed)))


def _in(folder: str) -> Callable[[Path], bool]:
    """Return a test of whether a path is a document of a workspace folder (`bots`, ...)."""
    return lambda path: path.parent.name == folder


_is_bot, _is_set, _is_flow = _in(BOTS_FOLDER), _in(RESPONSES_FOLDER), _in("flows")


def _stamps(root: Path) -> dict[Path, Stamp]:
    """Return the stamp of every flow, bot and responses set file and of routes.json, by path."""
    found: dict[Path, Stamp] = {}
    for path in [*sorted((root / "flows").glob("*.json")),
                 *sorted((root / BOTS_FOLDER).glob("*.json")),
                 *sorted((root / RESPONSES_FOLDER).glob("*.json")), root / ROUTES_FILE]:
        try:
            info = path.stat()
        except OSError:  # gone between the listing and now, or never there
            continue
        found[path] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return found

def read_flow_file(path: str | Path) -> tuple[str | None, dict | None, list]:
    """Read a flow file; return its text, its document and the problems that stop it parsing."""
    return read_json(Path(path))
