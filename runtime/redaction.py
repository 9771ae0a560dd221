"""Passwords kept out of messages and logs: one way to show a storage URL."""

from __future__ import annotations


def redacted(url: str) -> str:
    """Return a URL with any password replaced by `***`, fit for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.partition(':')[0]}:***@{host}"
