"""The flow store: a workspace's drafts, its published flow files and their numbered versions."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sqlalchemy.engine import Engine

from blocks.sdk import ConfigurationError
from runtime.errors import InvalidFlow
from runtime.validation import Problem, has_errors, parse_json
from runtime.validation.problem import error
from runtime.workspace import Reloaded, Workspace
from runtime.workspace.stable_form import dumps

from ..errors import BadRequest
from .author import Author
from .catalogue import catalogue
from .checks import IfMatch, check_precondition, draft_problems
from .drafts import Draft, DraftStore, etag_of
from .errors import DraftMissing, FlowExists, FlowInUse, FlowMissing, InvalidDocument
from .git import Git, GitStore
from .kinds import FLOW, KINDS, Kind
from .locking import StoreLock
from .reload import VersionRecorder
from .versions import EDITOR, ROLLBACK, Version, VersionLog
from .workspace import Changes, FolderStore, WorkspaceStore

log = logging.getLogger(__name__)

DATA = ".callwright"
DRAFT = "draft"  # the side of a diff that is the working copy
Side = int | Literal["draft"]


class WorkingCopy(NamedTuple):
    """A flow as the editor works on it: its draft, else its published file; and its ETag."""

    document: dict
    etag: str


@dataclass(frozen=True)
class Published:
    """The version a publish made live; `created` is False when the newest one had its content."""

    version: Version
    created: bool


@dataclass(frozen=True)
class _Copy:
    """The bytes of a working copy, their ETag, and whether they are a draft's."""

    data: bytes
    etag: str
    is_draft: bool


class FlowStore:
    """Drafts, publishing and versions of the flows of one workspace, for the builder's API.

    One store per kind of document (builder.flowstore.kinds): the flows' is opened, and
    `of("bot")` or `of("responses")` is the store of the workspace's bots or responses sets,
    with the same files, lock and versions table. What this says of flows holds for them.

    Changes are made under one lock shared by the workspace's processes, so two saves, a publish
    and a reload noticed by another worker never interleave. A draft's and a published file's
    ETag is a hash of their bytes; every change of an existing flow names the ETag it was made
    on (`if_match`: the ETag, `"*"` for any, None when the client sent none).
    """

    def __init__(self, workspace: Workspace, versions: VersionLog, files: WorkspaceStore,
                 drafts: DraftStore, lock: StoreLock, kind: Kind = FLOW,
                 recorder: VersionRecorder | None = None) -> None:
        self.workspace = workspace
        self.registry = workspace.registry
        self.versions = versions
        self.files = files
        self.drafts = drafts
        self.lock = lock
        self.kind = kind
        self.recorder = recorder or VersionRecorder(workspace, versions, files, lock)
        self._kinds: dict[str, FlowStore] = {kind.name: self}

    def of(self, kind: str) -> FlowStore:
        """Return the store of another kind of document of the same workspace (`bot`)."""
        store = self._kinds.get(kind)
        if store is None:
            other = KINDS[kind]
            drafts = DraftStore(self.drafts.folder / other.folder, self.drafts.clock)
            store = FlowStore(self.workspace, self.versions.of(other.key_prefix, other.label),
                              self.files, drafts, self.lock, other, self.recorder)
            store._kinds = self._kinds
            self._kinds[kind] = store
        return store

    @classmethod
    def open(cls, workspace: Workspace, database: Engine) -> FlowStore:
        """Open the store of a workspace folder: a git one when the folder is in a repository."""
        root = workspace.root
        if root is None:
            raise ConfigurationError("the flow store needs a workspace folder")
        data = root / DATA
        data.mkdir(exist_ok=True)
        ignore = data / ".gitignore"
        if not ignore.exists():  # drafts, sessions and kept versions are never committed
            ignore.write_text("*\n", "utf-8")
        files = GitStore(root) if Git(root).is_work_tree() else FolderStore(root)
        return cls(workspace, VersionLog(database), files, DraftStore(data / "drafts"),
                   StoreLock(data / "flowstore.lock"))

    # reading

    def working_copy(self, flow_id: str) -> WorkingCopy:
        """Return a flow's working copy (its draft, else its published file) and its ETag.

        Raise FlowMissing when the flow has neither, and runtime.errors.InvalidFlow when the
        published file is not JSON (a draft always is).
        """
        copy = self._copy(flow_id)
        return WorkingCopy(self._document(flow_id, copy), copy.etag)

    def working_bytes(self, flow_id: str) -> tuple[bytes, str]:
        """Return a flow's working copy as its bytes (as saved), and its ETag."""
        copy = self._copy(flow_id)
        return copy.data, copy.etag

    def catalogue(self) -> list[dict]:
        """Return every flow (with a file, a live version or a draft) as the editor lists it."""
        return catalogue(self.workspace, self.drafts, self.versions, self.kind)

    def history(self, flow_id: str) -> list[Version]:
        """Return a flow's versions, newest first (those of a deleted flow too)."""
        self._known(flow_id)
        history = self.versions.history(flow_id)
        if not history and not self._exists(flow_id):
            raise self._missing(flow_id)
        return history

    def version(self, flow_id: str, number: int) -> Version:
        """Return one version of a flow, with its document."""
        self._known(flow_id)
        return self.versions.get(flow_id, number)

    def diff(self, flow_id: str, old: Side, new: Side) -> dict:
        """Return what changed from one version (or the working copy, "draft") to another."""
        before, after = (self._side(flow_id, side) for side in (old, new))
        return {"from": old, "to": new, **self.kind.diff(before, after)}

    # drafts

    def create(self, flow_id: str, author: Author, *, name: str | None = None,
               description: str | None = None) -> Draft:
        """Start a new flow as a draft whose start is one `end` block."""
        self._check_new_id(flow_id)
        doc = self.kind.new_document(flow_id, name, description)
        with self.lock.held():
            self._check_free(flow_id)
            return self._write_draft(flow_id, doc, str(author))

    def save_draft(self, flow_id: str, data: bytes, document: Any, author: Author, *,
                   if_match: IfMatch) -> Draft:
        """Save a flow's draft as sent (valid or not, but a JSON object of this flow's id)."""
        self._known(flow_id)
        problems = draft_problems(flow_id, document, self.kind.label)
        if problems:
            raise BadRequest.fields(problems)
        with self.lock.held():
            check_precondition(flow_id, self._copy(flow_id).etag, if_match,
                               self.kind.label)
            return self.drafts.write(flow_id, data, document, str(author))

    def discard_draft(self, flow_id: str, *, if_match: IfMatch = None) -> None:
        """Delete a flow's draft (the published flow, if any, stays as it is)."""
        self._known(flow_id)
        with self.lock.held():
            draft = self.drafts.read(flow_id)
            if draft is None:
                raise DraftMissing(f"{self.kind.label} {flow_id!r} has no draft")
            if if_match is not None:
                check_precondition(flow_id, draft.etag, if_match, self.kind.label)
            self.drafts.remove(flow_id)

    def duplicate(self, flow_id: str, new_id: str, author: Author, *,
                  name: str | None = None) -> Draft:
        """Copy a flow's working copy into a new flow's draft."""
        self._check_new_id(new_id)
        source = self.working_copy(flow_id).document
        base = source.get("name") if isinstance(source.get("name"), str) else flow_id
        doc = {**source, "id": new_id, "name": name or f"{base} (copy)"}
        with self.lock.held():
            self._check_free(new_id)
            return self._write_draft(new_id, doc, str(author))

    # publishing

    def publish(self, flow_id: str, author: Author, *, note: str | None,
                if_match: IfMatch) -> Published:
        """Publish a flow's working copy: validate, write in stable form, commit, go live.

        Errors of validation stop it (runtime.errors.InvalidFlow with every problem). The new
        version is recorded and taken live in this process at once; the draft is dropped.
        """
        self._known(flow_id)
        with self.lock.held():
            copy = self._copy(flow_id)
            check_precondition(flow_id, copy.etag, if_match, self.kind.label)
            published = self._publish(flow_id, self._document(flow_id, copy), author,
                                      note=note, source=EDITOR)
            self.drafts.remove(flow_id)
            return published

    def rollback(self, flow_id: str, number: int, author: Author, *,
                 note: str | None = None) -> Published:
        """Publish an earlier version's document again, as a new version (a draft stays)."""
        self._known(flow_id)
        with self.lock.held():
            old = self.versions.get(flow_id, number)
            said = f"Rollback to version {number}" + (f": {note}" if note else "")
            return self._publish(flow_id, old.document, author, note=said, source=ROLLBACK)

    def delete(self, flow_id: str, author: Author) -> None:
        """Delete a flow's file (a commit in a git workspace) and its draft; versions stay.

        Refused (FlowInUse) while routes or other flows name it.
        """
        self._known(flow_id)
        with self.lock.held():
            has_file = self.files.read(self.kind.file(flow_id)) is not None
            if has_file:
                self._refuse_if_named(flow_id, "deleted")
                self.files.apply({self.kind.file(flow_id): None}, message=f"Delete {self.kind.label} {flow_id}",
                                 author=author)
            if not self.drafts.remove(flow_id) and not has_file:
                raise self._missing(flow_id)
            self.recorder.refresh()

    def rename(self, flow_id: str, new_id: str, author: Author) -> None:
        """Give a flow another id: its file (published again under it) and its draft move.

        Refused (FlowInUse) while routes or other flows name it: they are changed on purpose
        by whoever owns them, not behind their back. The old id's versions stay its history.
        """
        self._known(flow_id)
        self._check_new_id(new_id)
        with self.lock.held():
            self._check_free(new_id)
            draft = self.drafts.read(flow_id)
            data = self.files.read(self.kind.file(flow_id))
            if draft is None and data is None:
                raise self._missing(flow_id)
            if data is not None:
                self._refuse_if_named(flow_id, "renamed")
                doc = self._document(flow_id, _Copy(data, etag_of(data), False))
                self._publish(new_id, {**doc, "id": new_id}, author,
                              note=f"Renamed from {flow_id}", source=EDITOR,
                              also={self.kind.file(flow_id): None},
                              message=f"Rename flow {flow_id} to {new_id}")
            if draft is not None:
                moved = {**json.loads(draft.data), "id": new_id}
                self._write_draft(new_id, moved, draft.info.saved_by)
                self.drafts.remove(flow_id)

    # reloading

    def refresh(self) -> Reloaded:
        """Take live what changed on disk and record each flow that went live as a version."""
        return self.recorder.refresh()

    def sync(self) -> list[Version]:
        """Record every live flow no version has the content of (at a server's start)."""
        return self.recorder.sync()

    # helpers

    def _publish(self, flow_id: str, doc: Any, author: Author, *, note: str | None,
                 source: str, also: Changes | None = None,
                 message: str | None = None) -> Published:
        """Validate a document, write it as the flow's file, commit, record and reload."""
        problems = self._problems(flow_id, doc)
        if has_errors(problems):
            errors = [p for p in problems if p.is_error]
            message = (f"{self.kind.label} {flow_id!r} has {len(errors)} error(s) and cannot be "
                       f"published: {errors[0]}")
            if self.kind is FLOW:
                raise InvalidFlow(message, problems)
            raise InvalidDocument(message, [p.as_dict() for p in problems],
                                  code=f"invalid_{self.kind.name}")
        text = dumps(doc, self.registry)
        content_hash = self.kind.content_hash(doc)
        latest = self.versions.latest(flow_id)
        created = latest is None or latest.content_hash != content_hash
        number = (latest.number if latest else 0) + (1 if created else 0)
        commit = self.files.apply(
            {**(also or {}), self.kind.file(flow_id): text}, author=author,
            message=message or f"Publish {self.kind.label} {flow_id} version {number}"
                               + (f": {note}" if note else ""))
        version = latest if latest is not None and not created else self.versions.record(
            flow_id, text, content_hash, source=source, author=str(author), note=note,
            commit=commit)
        self.recorder.refresh()
        if self.kind.live_hash(self.workspace, flow_id) != content_hash:
            log.error("%s %s version %d was published but is not live: %s", self.kind.label,
                      flow_id, version.number,
                      self.workspace.problems.get(str(self.files.root / self.kind.file(flow_id))))
        return Published(version, created)

    def _problems(self, flow_id: str, doc: Any) -> list[Problem]:
        """Return every problem of a document published as `flow_id`."""
        return self.kind.problems(self.workspace, flow_id, doc)

    def _copy(self, flow_id: str) -> _Copy:
        """Return a flow's working copy; raise FlowMissing when it has neither draft nor file."""
        self._known(flow_id)
        draft = self.drafts.read(flow_id)
        if draft is not None:
            return _Copy(draft.data, draft.etag, True)
        data = self.files.read(self.kind.file(flow_id))
        if data is None:
            raise self._missing(flow_id, ": it has neither a draft nor a file")
        return _Copy(data, etag_of(data), False)

    def _document(self, flow_id: str, copy: _Copy) -> dict:
        """Return the document of a working copy; raise InvalidFlow when it is not a flow."""
        source = self.kind.file(flow_id) if not copy.is_draft else f"draft of {flow_id}"
        try:
            doc, problems = parse_json(copy.data.decode("utf-8-sig"), source)
        except UnicodeDecodeError as exc:
            doc, problems = None, [error("", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
        if not problems and not isinstance(doc, dict):
            problems = [error("", f"a {self.kind.label} is a JSON object")]
        if problems:
            raise InvalidFlow(f"{source} is not a flow document", problems)
        return doc

    def _side(self, flow_id: str, side: Side) -> dict:
        """Return the document of a version number, or of the working copy ("draft")."""
        if side == DRAFT:
            return self.working_copy(flow_id).document
        return self.version(flow_id, side).document

    def _exists(self, flow_id: str) -> bool:
        """Return whether a flow has a draft, a file or a live version."""
        return (self.drafts.read(flow_id) is not None
                or flow_id in self.kind.live_ids(self.workspace)
                or self.files.read(self.kind.file(flow_id)) is not None)

    def _check_free(self, flow_id: str) -> None:
        """Refuse (FlowExists) an id that a flow already has."""
        if self._exists(flow_id):
            raise FlowExists(f"a {self.kind.label} {flow_id!r} exists already",
                             details=[{"pointer": "/id", "message": "is taken"}],
                             code=self.kind.code("exists"))

    def _refuse_if_named(self, flow_id: str, change: str) -> None:
        """Refuse (FlowInUse) to change a flow that routes or other flows name."""
        found = self.kind.references(flow_id, self.workspace)
        if found:
            named = ", ".join(f"{ref['file']}#{ref['pointer']}" for ref in found)
            raise FlowInUse(f"{self.kind.label} {flow_id!r} cannot be {change} while {named} "
                            f"name it: change those first", details=found,
                            code=self.kind.code("in_use"))

    def _known(self, doc_id: str) -> None:
        """Refuse (not found) an id no document of this kind can have, before it names a file."""
        if not self.kind.fits(doc_id):
            raise self._missing(doc_id[:130], f": {self.kind.label} ids match "
                                              f"{self.kind.id_pattern.pattern}")

    def _check_new_id(self, doc_id: Any) -> None:
        """Refuse (400, at /id) an id a new document of this kind cannot have."""
        if not isinstance(doc_id, str) or not self.kind.fits(doc_id):
            raise BadRequest.fields([("/id", f"must match {self.kind.id_pattern.pattern} "
                                             f"(letters, digits, _ . -; at most "
                                             f"{self.kind.max_id})")])

    def _missing(self, doc_id: str, why: str = "") -> FlowMissing:
        """Return the not-found refusal of an id of this kind."""
        return FlowMissing(f"no {self.kind.label} {doc_id!r}{why}",
                           code=self.kind.code("not_found"))

    def _write_draft(self, flow_id: str, doc: dict, saved_by: str | None) -> Draft:
        """Save a document the server made as a draft, in the stable form."""
        return self.drafts.write(flow_id, dumps(doc, self.registry).encode("utf-8"), doc,
                                 saved_by)

