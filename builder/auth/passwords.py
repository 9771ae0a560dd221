"""Password hashes: argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is only a way to burn CPU

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password, salt and parameters included."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Return whether a password matches a stored hash (never raises for a wrong one)."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    """Return a hash of nothing anyone types, made once per process."""
    return _hasher.hash("no user has this password: it only spends the time of a real check")


def spend_verify_time(password: str) -> None:
    """Verify a password against a dummy hash: an unknown user takes as long as a known one."""
    verify_password(_dummy_hash(), password)


def password_problem(password: object) -> str | None:
    """Return what is wrong with a new password, None when it will do."""
    if not isinstance(password, str):
        return "must be a string"
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    return None
