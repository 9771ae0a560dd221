"""The kinds of document the store keeps: flows, bots and responses sets.

One store serves them all (drafts, publishing, versions, git, ETags): a `Kind` says where a
kind's files live, how its ids look, how its content is hashed and checked before it goes live,
and how to tell what of it runs. Versions of every kind share the records database's
flow_versions table: a flow's rows are keyed by its id, a bot's by `bots/<id>` and a set's by
`responses/<id>` (no flow id holds a `/`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import schemas
from blocks.registry import UnknownBlockType
from runtime.bots import bot_version
from runtime.engine import flow_version
from runtime.validation import Problem, validate_bot, validate_flow, validate_responses
from runtime.validation.problem import error
from runtime.validation.bots import bot_reference
from runtime.validation.responses import bot_response_problems
from runtime.workspace import Workspace
from runtime.workspace.stable_form import BOT_KIND, FLOW_KIND

from .diff import diff_flows, diff_sections
from .references import references_to

KEY_LENGTH = 128  # the flow_versions.flow_id column


@dataclass(frozen=True)
class Kind:
    """One kind of workspace document as the store keeps it."""

    name: str  # flow, bot, responses: the error codes' and audit actions' stem
    label: str  # how messages name one: "flow", "bot", "responses set"
    folder: str  # flows, bots, responses: where published files live
    id_pattern: re.Pattern
    content_hash: Callable[[Any], str]
    # every problem of a document published as an id, against the rest of the workspace
    problems: Callable[[Workspace, str, Any], list[Problem]]
    new_document: Callable[[str, str | None, str | None], dict]
    live_hash: Callable[[Workspace, str], str | None]  # the content hash that runs, if any
    live_ids: Callable[[Workspace], set[str]]
    live_doc: Callable[[Workspace, str], Any]  # the document that runs, None when none does
    # who names a published document: [{file, pointer, message}]; deleting it would break them
    references: Callable[[str, Workspace], list[dict]]
    # what changed from one document to another, as the versions panel shows it
    diff: Callable[[Any, Any], dict]

    @property
    def key_prefix(self) -> str:
        """Return what a version key starts with ("" for flows: the table was theirs first)."""
        return "" if self.name == "flow" else f"{self.folder}/"

    @property
    def max_id(self) -> int:
        """Return the longest id whose version key fits the table."""
        return KEY_LENGTH - len(self.key_prefix)

    def file(self, doc_id: str) -> str:
        """Return the workspace path of a document's published file."""
        return f"{self.folder}/{doc_id}.json"

    def code(self, what: str) -> str:
        """Return the error code of a refusal about this kind (`bot_not_found`)."""
        return f"{self.name}_{what}"

    def fits(self, doc_id: str) -> bool:
        """Return whether an id is one a document of this kind can have."""
        return bool(self.id_pattern.fullmatch(doc_id)) and len(doc_id) <= self.max_id


def _pattern(schema: str, pointer: tuple[str, ...]) -> re.Pattern:
    node: Any = schemas.load(schema)
    for key in pointer:
        node = node[key]
    return re.compile(node["pattern"])


def _id_problem(doc: Any, doc_id: str, label: str) -> list[Problem]:
    if isinstance(doc, dict) and doc.get("id") != doc_id:
        return [error("/id", f"is {doc.get('id')!r}, not the {label}'s id {doc_id!r}")]
    return []


# flows


def _flow_problems(workspace: Workspace, flow_id: str, doc: Any) -> list[Problem]:
    return [*validate_flow(doc, workspace.registry, flows={**workspace.docs, flow_id: doc},
                           bots=workspace.bot_docs), *_id_problem(doc, flow_id, "flow")]


def new_flow(flow_id: str, name: str | None, description: str | None) -> dict:
    """Return the document of a new flow: one `end` block, where it starts."""
    doc: dict[str, Any] = {"schema": FLOW_KIND, "id": flow_id, "name": name or flow_id}
    if description:
        doc["description"] = description
    return {**doc, "start": "end", "blocks": {"end": {"type": "end", "config": {}}},
            "layout": {"end": {"x": 0, "y": 0}}}


def _flow_live(workspace: Workspace, flow_id: str) -> str | None:
    flow = workspace.flows.get(flow_id)
    return flow.version if flow is not None else None


def _flow_references(flow_id: str, workspace: Workspace) -> list[dict]:
    assert workspace.root is not None
    return references_to(flow_id, workspace.root)


FLOW = Kind("flow", "flow", "flows", _pattern("flow", ("$defs", "id")), flow_version,
            _flow_problems, new_flow, _flow_live, lambda workspace: set(workspace.flows),
            lambda workspace, flow_id: workspace.docs.get(flow_id)
            if flow_id in workspace.flows else None, _flow_references, diff_flows)


# bots


def _bot_problems(workspace: Workspace, bot_id: str, doc: Any) -> list[Problem]:
    problems = [*validate_bot(doc), *_id_problem(doc, bot_id, "bot")]
    if not any(p.is_error for p in problems):
        problems += bot_response_problems(doc, workspace.responses.sets)
    return problems


def new_bot(bot_id: str, name: str | None, description: str | None) -> dict:
    """Return the document of a new bot: English, one intent to start from."""
    doc: dict[str, Any] = {"schema": BOT_KIND, "id": bot_id, "name": name or bot_id}
    if description:
        doc["description"] = description
    return {**doc, "languages": ["en"],
            "intents": {"greeting": {"examples": {"en": ["hello", "hi there"]}}}}


def _bot_live(workspace: Workspace, bot_id: str) -> str | None:
    bot = workspace.bots.get(bot_id)
    return bot.version if bot is not None else None


def _bot_references(bot_id: str, workspace: Workspace) -> list[dict]:
    """Return the live flows' blocks that classify with a bot."""
    found = []
    for flow_id, doc in sorted(workspace.docs.items()):
        for block_id, block in (doc.get("blocks") or {}).items():
            block_type = _block_type(workspace, block)
            if bot_reference(block, block_type) == bot_id:
                found.append({"file": f"flows/{flow_id}.json",
                              "pointer": f"/blocks/{block_id}/config",
                              "message": f"block {block_id!r} of flow {flow_id!r} uses it"})
    return found


def _block_type(workspace: Workspace, block: Any) -> Any:
    try:
        return workspace.registry.resolve(block.get("type")) if isinstance(block, dict) else None
    except (UnknownBlockType, TypeError):
        return None


BOT = Kind("bot", "bot", "bots", _pattern("bot", ("properties", "id")), bot_version,
           _bot_problems, new_bot, _bot_live, lambda workspace: set(workspace.bots),
           lambda workspace, bot_id: workspace.bot_docs.get(bot_id)
           if bot_id in workspace.bots else None, _bot_references,
           diff_sections(("intents", "entities")))


# responses sets


def _responses_problems(workspace: Workspace, set_id: str, doc: Any) -> list[Problem]:
    return [*validate_responses(doc), *_id_problem(doc, set_id, "responses set")]


def new_responses(set_id: str, name: str | None, description: str | None) -> dict:
    """Return the document of a new responses set: one response to start from."""
    doc: dict[str, Any] = {"schema": "callwright/responses@1", "id": set_id,
                           "name": name or set_id}
    if description:
        doc["description"] = description
    return {**doc, "responses": {"hello": {"text": "Hello!"}}}


def _responses_live(workspace: Workspace, set_id: str) -> str | None:
    doc = workspace.responses.sets.get(set_id)
    return bot_version(doc) if doc is not None else None


def _responses_references(set_id: str, workspace: Workspace) -> list[dict]:
    """Return the live flows' blocks and bots' intents that name a response of a set."""
    found = []
    prefix = f"{set_id}/"
    for flow_id, doc in sorted(workspace.docs.items()):
        for block_id, block in (doc.get("blocks") or {}).items():
            config = block.get("config") if isinstance(block, dict) else None
            named = config.get("response") if isinstance(config, dict) else None
            if isinstance(named, str) and named.startswith(prefix):
                found.append({"file": f"flows/{flow_id}.json",
                              "pointer": f"/blocks/{block_id}/config/response",
                              "message": f"block {block_id!r} of flow {flow_id!r} says {named}"})
    for bot_id, doc in sorted(workspace.bot_docs.items()):
        for name, intent in ((doc or {}).get("intents") or {}).items():
            named = intent.get("response") if isinstance(intent, dict) else None
            if isinstance(named, str) and named.startswith(prefix):
                found.append({"file": f"bots/{bot_id}.json",
                              "pointer": f"/intents/{name}/response",
                              "message": f"intent {name!r} of bot {bot_id!r} answers {named}"})
    return found


RESPONSES = Kind("responses", "responses set", "responses",
                 _pattern("responses", ("properties", "id")), bot_version, _responses_problems,
                 new_responses, _responses_live,
                 lambda workspace: set(workspace.responses.sets),
                 lambda workspace, set_id: workspace.responses.sets.get(set_id),
                 _responses_references, diff_sections(("responses",)))

KINDS = {kind.name: kind for kind in (FLOW, BOT, RESPONSES)}
