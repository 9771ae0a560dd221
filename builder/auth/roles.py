"""The three roles, each allowed what the ones below it are."""

from __future__ import annotations

# lowest first: an editor may do what a viewer may, an admin what an editor may
ROLES = ("viewer", "editor", "admin")
LANGUAGES = ("en", "ru")  # the editor's interface languages


def role_allows(role: str, needed: str) -> bool:
    """Return whether a holder of `role` may do what needs `needed`."""
    if needed not in ROLES:
        raise ValueError(f"unknown role {needed!r}; roles are {', '.join(ROLES)}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)

