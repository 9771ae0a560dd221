"""A workspace that is a git repository: each change to its flows is a commit by its author.

The `git` command line is run directly (never through a shell), in the workspace folder, with
a timeout; only the paths a change names are staged and committed, so whatever else the
repository holds (an operator's own staged work) is left as it is.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from .author import SERVER, Author
from .errors import GitFailed
from .workspace import Changes, Origin, WorkspaceStore

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0  # a commit runs the repository's hooks; none should take longer
# no questions on a terminal nobody watches; no lock taken by commands that only look
QUIET_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
GIT_CRUD = "".join(map(chr, range(33))) + ".,:;<>\"\\'"  # ident.c's crud()


class Git:
    """The git command line, run in one folder."""

    def __init__(self, folder: Path, executable: str = "git") -> None:
        self.folder = folder
        self.executable = executable

    def run(self, *args: str, env: Mapping[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `git ARGS...` in the folder; raise GitFailed when it fails (with `check`)."""
        try:
            done = subprocess.run([self.executable, *args], cwd=self.folder, capture_output=True,
                                  text=True, encoding="utf-8", errors="replace",
                                  timeout=TIMEOUT_S, env={**os.environ, **QUIET_ENV, **(env or {})})
        except subprocess.TimeoutExpired:
            raise GitFailed(f"git {args[0]} took longer than {TIMEOUT_S:.0f} s in "
                            f"{self.folder}") from None
        except (OSError, ValueError) as exc:  # ValueError: a NUL in an argument or variable
            raise GitFailed(f"git {args[0]} could not run in {self.folder}: {exc}") from None
        if check and done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise GitFailed(f"git {args[0]} failed in {self.folder}: "
                            f"{detail[-1] if detail else f'exit status {done.returncode}'}")
        return done

    def is_work_tree(self) -> bool:
        """Return whether the folder lies in a git work tree git is willing to use."""
        if shutil.which(self.executable) is None:
            return False
        try:
            done = self.run("rev-parse", "--is-inside-work-tree", check=False)
        except GitFailed as exc:
            log.warning("%s: taken as a plain folder: %s", self.folder, exc)
            return False
        if done.returncode != 0 and "safe.directory" in done.stderr:
            log.warning("%s is a git repository git refuses to use (%s): flows are published "
                        "without commits", self.folder, done.stderr.strip().splitlines()[0])
        return done.returncode == 0 and done.stdout.strip() == "true"


def git_name(name: str) -> str:
    """Return an author name git takes: the server's when git would drop every character."""
    # git refuses ("name consists only of disallowed characters") a name of nothing but these
    return name if name.strip(GIT_CRUD) else SERVER.name


class GitStore(WorkspaceStore):
    """A workspace in a git repository: a change is committed, authored by who made it.

    The committer is the repository's configured user, else the server (SERVER).
    """

    kind = "git"

    def __init__(self, root: Path, git: Git | None = None) -> None:
        super().__init__(root)
        self.git = git or Git(root)
        self._committer: dict[str, str] | None = None

    def apply(self, changes: Changes, *, message: str, author: Author) -> str | None:
        """Write and delete the files, then commit exactly those paths (see WorkspaceStore)."""
        before = self.write(changes)
        paths = list(changes)
        try:
            return self._commit(paths, message, author)
        except BaseException:  # whatever stopped the commit, no file may stay half-published
            log.exception("publishing %s: the commit failed; the files are put back", paths)
            self.restore(before)
            self._unstage(paths)
            raise

    def origin(self, path: str) -> Origin | None:
        """Return the author and commit of a file's last commit, if the file is as committed."""
        if self.git.run("status", "--porcelain", "--", path).stdout.strip():
            return None  # changed (or new) outside git: its last commit did not make it so
        found = self.git.run("log", "-1", "--format=%H%x00%an%x00%ae%x00%s", "--",
                             path).stdout.strip()
        if not found:
            return None
        commit, name, email, subject = (found.split("\0") + ["", "", ""])[:4]
        return Origin(Author(name, email), commit, subject)

    def _commit(self, paths: Sequence[str], message: str, author: Author) -> str | None:
        """Stage and commit the paths; return the commit, or None when nothing changed."""
        present = [path for path in paths if (self.root / path).exists()]
        absent = [path for path in paths if path not in present]
        if present:
            self.git.run("add", "--", *present)
        if absent:
            self.git.run("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *absent)
        if self.git.run("diff", "--cached", "--quiet", "--", *paths, check=False).returncode == 0:
            return None  # the files already hold what is committed
        env = {"GIT_AUTHOR_NAME": git_name(author.name), "GIT_AUTHOR_EMAIL": author.email,
               **self.committer()}
        self.git.run("commit", "--quiet", "-m", message, "--", *paths, env=env)
        return self.git.run("rev-parse", "HEAD").stdout.strip()

    def committer(self) -> dict[str, str]:
        """Return the committer's environment: empty when the repository names its user."""
        if self._committer is None:
            self._committer = {}
            for key, fallback in (("name", SERVER.name), ("email", SERVER.email)):
                if self.git.run("config", "--get", f"user.{key}", check=False).returncode != 0:
                    self._committer[f"GIT_COMMITTER_{key.upper()}"] = fallback
        return self._committer

    def _unstage(self, paths: Sequence[str]) -> None:
        """Take the paths out of the index again after a failed commit (best effort)."""
        has_head = self.git.run("rev-parse", "--verify", "--quiet", "HEAD",
                                check=False).returncode == 0
        args = ("reset", "--quiet", "--") if has_head else ("rm", "--cached", "--quiet",
                                                           "--ignore-unmatch", "--")
        try:
            self.git.run(*args, *paths)
        except GitFailed:
            log.exception("could not unstage %s after a failed commit", paths)
