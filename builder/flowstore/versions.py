"""The numbered versions of every flow: immutable rows of the records database's flow_versions."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from runtime.records.schema import flow_versions as table

from .errors import VersionMissing
from .times import iso

EDITOR, ROLLBACK, GIT = "editor", "rollback", "git"  # where a version came from
ATTEMPTS = 5  # looks at the latest number, each after another process took the one we chose
# the number column's range (an INTEGER in PostgreSQL); SQLite refuses a larger int outright
MAX_NUMBER = 2**31 - 1
MAX_AUTHOR = table.c.author.type.length  # "Name <email>" may be longer; PostgreSQL refuses it
_SUMMARY = [table.c.flow_id, table.c.number, table.c.content_hash, table.c.author, table.c.note,
            table.c.source, table.c.commit_sha, table.c.created_at]


@dataclass(frozen=True)
class Version:
    """One published version of a flow, numbered from 1 per flow; `text` when it was read."""

    flow_id: str
    number: int
    content_hash: str
    author: str | None
    note: str | None
    source: str
    commit: str | None
    created_at: float
    text: str | None = None  # the document in the stable form

    @property
    def document(self) -> dict:
        """Return the version's flow document (read with its text)."""
        if self.text is None:
            raise ValueError(f"version {self.number} of {self.flow_id!r} was read without text")
        return json.loads(self.text)

    def as_dict(self) -> dict:
        """Return the API's summary of the version."""
        return {"number": self.number, "content_hash": self.content_hash, "author": self.author,
                "note": self.note, "source": self.source, "commit": self.commit,
                "created_at": iso(self.created_at)}


class VersionLog:
    """The versions of every flow, kept in the records database; a version never changes.

    With a `prefix` (`bots/`), the versions of another kind of document in the same table:
    their rows are keyed by prefix and id, and the ids given and returned are without it.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time,
                 prefix: str = "", label: str = "flow") -> None:
        self.engine = engine
        self.clock = clock
        self.prefix = prefix
        self.label = label

    def of(self, prefix: str, label: str) -> VersionLog:
        """Return the log of another kind of document, in the same table."""
        return VersionLog(self.engine, self.clock, prefix, label)

    def _mine(self) -> Any:
        """Return the condition selecting this kind's rows (a flow id holds no `/`)."""
        if self.prefix:
            return table.c.flow_id.startswith(self.prefix, autoescape=True)
        return table.c.flow_id.not_like("%/%")

    def _version(self, row: Row, text: str | None = None) -> Version:
        version = _version(row, text)
        return replace(version, flow_id=version.flow_id[len(self.prefix):])

    def history(self, flow_id: str) -> list[Version]:
        """Return a flow's versions, newest first, without their documents."""
        query = select(*_SUMMARY).where(table.c.flow_id == self.prefix + flow_id) \
            .order_by(table.c.number.desc())
        with self.engine.connect() as conn:
            return [self._version(row) for row in conn.execute(query)]

    def get(self, flow_id: str, number: int) -> Version:
        """Return one version with its document; raise VersionMissing when there is none."""
        if not 1 <= number <= MAX_NUMBER:  # none is kept there, and the database would refuse it
            raise VersionMissing(f"{self.label} {flow_id!r} has no version {number}")
        query = select(*_SUMMARY, table.c.document).where(
            table.c.flow_id == self.prefix + flow_id, table.c.number == number)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise VersionMissing(f"{self.label} {flow_id!r} has no version {number}")
        return self._version(row, row.document)

    def latest(self, flow_id: str) -> Version | None:
        """Return a flow's newest version, or None when it has none."""
        query = select(*_SUMMARY).where(table.c.flow_id == self.prefix + flow_id) \
            .order_by(table.c.number.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return self._version(row) if row is not None else None

    def newest(self) -> dict[str, Version]:
        """Return every flow's newest version, by flow id."""
        newest = select(table.c.flow_id, func.max(table.c.number).label("number")) \
            .where(self._mine()).group_by(table.c.flow_id).subquery()
        query = select(*_SUMMARY).join(newest, (table.c.flow_id == newest.c.flow_id)
                                       & (table.c.number == newest.c.number))
        with self.engine.connect() as conn:
            return {version.flow_id: version
                    for version in map(self._version, conn.execute(query))}

    def with_hash(self, flow_id: str, content_hash: str) -> Version | None:
        """Return the newest version of a flow with that content, or None."""
        query = select(*_SUMMARY).where(table.c.flow_id == self.prefix + flow_id,
                                        table.c.content_hash == content_hash) \
            .order_by(table.c.number.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return self._version(row) if row is not None else None

    def record(self, flow_id: str, text: str, content_hash: str, *, source: str,
               author: str | None = None, note: str | None = None, commit: str | None = None,
               unless_latest: bool = False) -> Version | None:
        """Record the next version of a flow and return it.

        With `unless_latest`, a content the newest version already has records nothing (None):
        two processes noticing one change record one version. Two processes recording at once
        cannot take one number: the primary key refuses the second, which looks again. An
        author longer than the column is cut to fit.
        """
        author = None if author is None else author[:MAX_AUTHOR]
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._insert_next(flow_id, text, content_hash, source=source,
                                         author=author, note=note, commit=commit,
                                         unless_latest=unless_latest)
            # another process took that number (the primary key), or wrote since this one read
            # (SQLite's snapshot refuses the write): look at the latest again
            except (IntegrityError, OperationalError):
                if attempt == ATTEMPTS:
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def _insert_next(self, flow_id: str, text: str, content_hash: str, *, source: str,
                     author: str | None, note: str | None, commit: str | None,
                     unless_latest: bool) -> Version | None:
        """Insert the number after the latest, in one transaction."""
        key = self.prefix + flow_id
        with self.engine.begin() as conn:
            latest = conn.execute(select(table.c.number, table.c.content_hash)
                                  .where(table.c.flow_id == key)
                                  .order_by(table.c.number.desc()).limit(1)).first()
            if unless_latest and latest is not None and latest.content_hash == content_hash:
                return None
            version = Version(flow_id, (latest.number if latest else 0) + 1, content_hash,
                              author, note, source, commit, self.clock(), text)
            conn.execute(insert(table).values(
                flow_id=key, number=version.number, content_hash=content_hash, document=text,
                author=author, note=note, source=source, commit_sha=commit,
                created_at=version.created_at))
        return version


def _version(row: Row, text: str | None = None) -> Version:
    """Return a Version from a row of flow_versions."""
    return Version(row.flow_id, row.number, row.content_hash, row.author, row.note, row.source,
                   row.commit_sha, row.created_at, text)
