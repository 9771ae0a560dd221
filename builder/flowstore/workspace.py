"""Where published flows are written: the workspace folder, and what a change becomes there.

`WorkspaceStore` is the one base: it writes and deletes files as one change and says who last
changed a file. `FolderStore` is a plain folder (the change is the files); `GitStore`
(builder.flowstore.git) commits each change in the repository the folder lies in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from runtime.workspace.stable_form import write_atomic

from .author import Author

# relative path in the workspace -> its new text, or None to delete the file
Changes = Mapping[str, str | None]


@dataclass(frozen=True)
class Origin:
    """Where a file's content came from: who committed it, in which commit, saying what."""

    author: Author
    commit: str
    subject: str = ""  # the commit message's first line


class WorkspaceStore:
    """The workspace's files as the flow store changes them (base of every kind of workspace).

    Paths are relative to the workspace's root (`flows/support.json`). Subclasses set what a
    change is besides the files: `apply` and `origin` are what they override.
    """

    kind = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        """Return a workspace file's bytes, or None when there is no such file."""
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def apply(self, changes: Changes, *, message: str, author: Author) -> str | None:
        """Write and delete files as one change; return the commit that records it, if any.

        `changes` maps each path to its new text (written in place atomically, and not at all
        when its bytes are already those) or to None (the file is deleted). `message` says what
        the change is and `author` who made it, for stores that record changes (a commit). On
        failure every file is put back as it was and the error raised; a store that records
        changes raises builder.flowstore.errors.GitFailed when it cannot. Returns None when
        nothing was recorded (a plain folder, or no byte changed).
        """
        self.write(changes)
        return None

    def origin(self, path: str) -> Origin | None:
        """Return who made a file what it is and in which commit; None when nobody can say.

        A plain folder cannot say. A repository says it for a file whose content is the one
        its last commit gave it (a file changed since, outside git, has no origin yet).
        """
        return None

    def write(self, changes: Changes) -> dict[str, bytes | None]:
        """Write the changes to the files; return what each file held before (None: absent)."""
        before: dict[str, bytes | None] = {}
        try:
            for path, text in changes.items():
                before[path] = self.read(path)
                self._put(path, None if text is None else text.encode("utf-8"), before[path])
        except BaseException:
            self.restore(before)
            raise
        return before

    def restore(self, before: Mapping[str, bytes | None]) -> None:
        """Put files back as they were before a change."""
        for path, data in before.items():
            self._put(path, data, self.read(path))

    def _put(self, path: str, data: bytes | None, current: bytes | None) -> None:
        """Make one file hold `data` (None: not exist), touching nothing when it already does."""
        target = self.root / path
        if data is None:
            if current is not None:
                os.unlink(target)
        elif data != current:  # an unchanged flow rewrites no byte
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)


class FolderStore(WorkspaceStore):
    """A workspace that is a plain folder: a change is its files, recorded nowhere else."""
