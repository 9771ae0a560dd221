"""Who makes a change to a flow, as git and the versions table name people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Author:
    """A person (or token) changing flows: a name and, when known, an e-mail address."""

    name: str
    email: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


# changes nobody in particular made: the server's own, or a file that changed outside git
SERVER = Author("Callwright", "callwright@localhost")
