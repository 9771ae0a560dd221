"""Failed sign-ins counted per (user, address) and per address, in the records database.

Every serve worker counts in the same table, so they agree. A count runs for a window from its
first failure; at the limit further attempts are refused until the window ends, whatever the
password. A success clears the (user, address) count. A sign-in counts its attempt before the
password is checked (`attempt`), so that attempts sent at once cannot all pass the limit while
each spends argon2's time; a success takes its attempt back from the address's count.
"""

from __future__ import annotations

import hashlib
import math
import time

from sqlalchemy import case, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from runtime.records.schema import sign_in_failures

WINDOW_S = 15 * 60.0
PER_USER = 5  # failures per (user, address) in a window
PER_ADDRESS = 20  # failures per address in a window, whatever the names tried


def user_key(name: str, address: str) -> str:
    """Return the key of a (user, address) count; a name of any length fits the column."""
    return f"user:{hashlib.sha256(name.encode()).hexdigest()[:32]}@{address}"


def address_key(address: str) -> str:
    """Return the key of an address's count."""
    return f"address:{address}"


class SignInLimit:
    """The failed sign-in counts of one records database."""

    def __init__(self, engine: Engine, *, per_user: int = PER_USER,
                 per_address: int = PER_ADDRESS, window_s: float = WINDOW_S) -> None:
        self.engine = engine
        self.limits = ((user_key, per_user), (lambda _name, address: address_key(address),
                                              per_address))
        self.window_s = window_s

    def retry_after(self, name: str, address: str) -> int | None:
        """Return the seconds until a (user, address) may try again, None when it may now."""
        now = time.time()
        waits = []
        with self.engine.connect() as conn:
            for key_of, limit in self.limits:
                row = conn.execute(select(sign_in_failures).where(
                    sign_in_failures.c.key == key_of(name, address))).first()
                if row is not None and row.failures >= limit and now - row.first_at < self.window_s:
                    waits.append(row.first_at + self.window_s - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def attempt(self, name: str, address: str) -> int | None:
        """Count an attempt as a failure before its password is checked; over a limit count
        nothing and return the seconds until the (user, address) may try again."""
        now = time.time()
        waits = []
        with self.engine.connect() as conn, conn.begin() as transaction:
            # the counts' rows stay locked to this transaction: the next attempt sees its count
            for key_of, limit in self.limits:
                key = key_of(name, address)
                _count(conn, key, now, self.window_s)
                row = conn.execute(select(sign_in_failures.c.failures, sign_in_failures.c.first_at)
                                   .where(sign_in_failures.c.key == key)).one()
                if row.failures > limit:
                    waits.append(row.first_at + self.window_s - now)
            if waits:
                transaction.rollback()  # a refused attempt is no failure: the window stays
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, name: str, address: str) -> None:
        """Count a failed sign-in against the (user, address) and the address."""
        now = time.time()
        with self.engine.begin() as conn:
            for key_of, _limit in self.limits:
                _count(conn, key_of(name, address), now, self.window_s)

    def succeeded(self, name: str, address: str, *, attempted: bool = False) -> None:
        """Clear the (user, address) count after a good sign-in; `attempted`: take back the
        attempt `attempt` counted against the address."""
        with self.engine.begin() as conn:
            conn.execute(sign_in_failures.delete().where(
                sign_in_failures.c.key == user_key(name, address)))
            if attempted:
                table = sign_in_failures.c
                conn.execute(sign_in_failures.update().where(
                    table.key == address_key(address), table.failures > 0).values(
                    failures=table.failures - 1))


def _count(conn: Connection, key: str, now: float, window_s: float) -> None:
    """Add one failure to a key's count, starting a new window when the last one has ended."""
    table = sign_in_failures.c
    fresh = table.first_at <= now - window_s
    updated = conn.execute(sign_in_failures.update().where(table.key == key).values(
        failures=case((fresh, 1), else_=table.failures + 1),
        first_at=case((fresh, now), else_=table.first_at), last_at=now)).rowcount
    if updated:
        return
    try:
        with conn.begin_nested():  # another worker may insert the same key at the same moment
            conn.execute(sign_in_failures.insert().values(key=key, failures=1, first_at=now,
                                                          last_at=now))
    except IntegrityError:
        conn.execute(sign_in_failures.update().where(table.key == key)
                     .values(failures=table.failures + 1, last_at=now))
