"""People who sign in, one role each, kept in the records database's `users` table."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from runtime.records.schema import users, web_sessions

from .passwords import hash_password
from .roles import LANGUAGES, ROLES

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
FIELDS = ("display_name", "email", "language")
# the widths of the users table's columns: a longer value is refused, never cut or left to the
# database (PostgreSQL raises, SQLite keeps it whole)
MOST = {"display_name": 128, "email": 256}


class UserError(Exception):
    """A change to the users refused: a stable `code` and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class User:
    """A user as stored, less the password hash."""

    id: int
    name: str
    role: str
    display_name: str
    email: str
    language: str
    created_at: float
    updated_at: float

    def as_dict(self) -> dict[str, Any]:
        """Return the user's JSON form."""
        return {"name": self.name, "role": self.role, "display_name": self.display_name,
                "email": self.email, "language": self.language,
                "created_at": self.created_at, "updated_at": self.updated_at}


def normal_name(name: str) -> str:
    """Return a user name as it is stored: names are kept in lower case."""
    return name.strip().lower()


def name_problem(name: object) -> str | None:
    """Return what is wrong with a new user's name, None when it will do."""
    if not isinstance(name, str) or not NAME.match(name):
        return ("must be 1 to 64 lower-case letters, digits, '.', '_', '@' or '-', starting with "
                "a letter or digit")
    return None


def user_of_row(row: Any) -> User:
    """Return a User from a row of `users`."""
    return User(row.id, row.name, row.role, row.display_name or "", row.email or "",
                row.language, row.created_at, row.updated_at)


class UserStore:
    """The users of one records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def any(self) -> bool:
        """Return whether at least one user exists."""
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.id).limit(1)).first() is not None

    def all(self) -> list[User]:
        """Return every user, by name."""
        with self.engine.connect() as conn:
            return [user_of_row(row) for row in conn.execute(select(users).order_by(users.c.name))]

    def get(self, name: str) -> User | None:
        """Return a user by name, None when there is none."""
        row = self.with_hash(name)
        return None if row is None else user_of_row(row)

    def with_hash(self, name: str) -> Any:
        """Return a user's row, password hash included, or None."""
        if not NAME.match(normal_name(name)):
            return None  # no user has it; PostgreSQL would refuse some (a NUL) outright
        with self.engine.connect() as conn:
            return conn.execute(select(users).where(users.c.name == normal_name(name))).first()

    def add(self, name: str, role: str, password: str, **fields: str | None) -> User:
        """Add a user; raise UserError `user_exists` when the name is taken."""
        now = time.time()
        _check_fields(fields)
        row = {"name": normal_name(name), "role": _checked_role(role),
               "password_hash": hash_password(password), "display_name": fields.get("display_name"),
               "email": fields.get("email"), "language": fields.get("language") or "en",
               "created_at": now, "updated_at": now}
        try:
            with self.engine.begin() as conn:
                conn.execute(users.insert().values(**row))
        except IntegrityError:
            raise UserError("user_exists", f"there is already a user {row['name']!r}") from None
        return self._required(name)

    def update(self, name: str, *, role: str | None = None, password: str | None = None,
               **fields: str | None) -> User:
        """Change a user's role, password or details; a new role may not leave no admin."""
        values: dict[str, Any] = {key: fields[key] for key in FIELDS if key in fields}
        _check_fields(values)
        if password is not None:
            values["password_hash"] = hash_password(password)
        with self.engine.begin() as conn:
            if role is not None:
                _hold_admins(conn)
            user = self._locked(conn, name)
            if role is not None and role != user.role:
                values["role"] = _checked_role(role)
                if user.role == "admin":
                    _keep_an_admin(conn, user.id, staying=True)
            values["updated_at"] = time.time()
            conn.execute(users.update().where(users.c.id == user.id).values(**values))
        return self._required(name)

    def set_hash(self, user_id: int, password_hash: str, *, replacing: str) -> bool:
        """Store a new hash of the same password (stronger parameters) in place of `replacing`;
        return False, changing nothing, when the user has another password by now."""
        with self.engine.begin() as conn:
            return conn.execute(users.update().where(users.c.id == user_id,
                                                     users.c.password_hash == replacing)
                                .values(password_hash=password_hash)).rowcount == 1

    def remove(self, name: str) -> User:
        """Remove a user and end its browser sessions; the last admin goes only with the rest."""
        with self.engine.begin() as conn:
            _hold_admins(conn)
            user = self._locked(conn, name)
            if user.role == "admin":
                _keep_an_admin(conn, user.id, staying=False)
            # SQLite leaves foreign keys unenforced unless told: end the sessions ourselves
            conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user.id))
            conn.execute(users.delete().where(users.c.id == user.id))
        return user

    def _locked(self, conn: Connection, name: str) -> User:
        """Return a user read in a transaction (its row locked where the database can)."""
        row = None if not NAME.match(normal_name(name)) else conn.execute(select(users).where(users.c.name == normal_name(name))
                           .with_for_update()).first()
        if row is None:
            raise UserError("user_not_found", f"there is no user {normal_name(name)!r}")
        return user_of_row(row)

    def _required(self, name: str) -> User:
        """Return a user known to exist."""
        user = self.get(name)
        assert user is not None
        return user


def _check_fields(fields: dict[str, Any]) -> None:
    """Raise UserError when a detail does not fit its column or is no language of the editor."""
    for key, most in MOST.items():
        value = fields.get(key)
        if value is None:
            continue
        if len(value) > most:
            raise UserError("bad_request", f"{key} must be at most {most} characters, not "
                                           f"{len(value)}")
        if "\x00" in value:  # PostgreSQL refuses it in text
            raise UserError("bad_request", f"{key} may not hold a NUL character")
    if fields.get("language") is not None and fields["language"] not in LANGUAGES:
        raise UserError("bad_request", f"language must be one of {', '.join(LANGUAGES)}")


def _checked_role(role: str) -> str:
    """Return a role, or raise UserError when it is not one."""
    if role not in ROLES:
        raise UserError("bad_request", f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def _hold_admins(conn: Connection) -> None:
    """Lock the admins' rows (SQLite: the database) for a change that may leave no admin.

    Two such changes at once then run one after the other, the second counting the admins the
    first left; a write, as SQLite takes no lock for a read and ignores FOR UPDATE.
    """
    conn.execute(users.update().where(users.c.role == "admin").values(role=users.c.role))


def _keep_an_admin(conn: Connection, leaving: int, *, staying: bool) -> None:
    """Refuse a change that would leave users but no admin to manage them.

    `leaving` is the admin who stops being one; `staying` whether that user remains (a new
    role) or goes. Removing the very last user is allowed: a server with no users at all is in
    local mode on loopback and refuses to start elsewhere.
    """
    others = conn.execute(select(func.count()).select_from(users)
                          .where(users.c.id != leaving)).scalar_one() + int(staying)
    admins = conn.execute(select(func.count()).select_from(users)
                          .where(users.c.id != leaving, users.c.role == "admin")).scalar_one()
    if others and not admins:
        raise UserError("last_admin", "this is the last admin: make another user an admin first")
