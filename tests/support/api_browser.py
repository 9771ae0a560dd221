"""The builder's HTTP API as the editor's browser calls it, for the API tests of drafts, versions
and bots: a test client sending its CSRF token (or API token) with every write, signed in as
the local admin or as a new user, and a check of an answer against the OpenAPI document.

Importable as `api_browser` (tests/support is on pytest's pythonpath).
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from builder.auth.state import state_of
from builder.openapi import document

PASSWORD = "correct horse battery"


class Browser:
    """A test client sending its CSRF token (or API token) with every write, If-Match when given."""

    def __init__(self, client: Any, csrf: str | None = None, token: str | None = None) -> None:
        self.client = client
        self.csrf = csrf
        self.headers = {"X-CSRF-Token": csrf} if csrf else {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def send(self, method: str, path: str, body: Any = None, *, etag: str | None = None,
             data: bytes | None = None) -> Any:
        """Send a JSON `body` (or raw `data`, sent as JSON) to /api/v1`path`."""
        headers = dict(self.headers)
        if etag is not None:
            headers["If-Match"] = f'"{etag}"'
        if body is not None:
            data = json.dumps(body).encode()
        return self.client.open(f"/api/v1{path}", method=method, data=data, headers=headers,
                                content_type="application/json" if data is not None else None)

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def etag(self, path: str) -> str:
        return self.get(path).headers["ETag"].strip('"')


def local_browser(app: Any, kind: type[Browser] = Browser) -> Any:
    """Return the local admin's browser (a loopback server with no users), a `kind` of Browser."""
    client = app.test_client()
    return kind(client, client.get("/api/v1/session").get_json()["csrf_token"])


def signed_in(app: Any, name: str, role: str, kind: type[Browser] = Browser) -> Any:
    """Add a user with a role (shown as "<Name> Analyst"); return a browser signed in as them."""
    state_of(app).users.add(name, role, PASSWORD, display_name=f"{name.title()} Analyst",
                            email=f"{name}@example.com")
    client = app.test_client()
    answer = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_data(True)
    return kind(client, answer.get_json()["csrf_token"])


def conforms(name: str, instance: object) -> list[str]:
    """Return the errors of an answer against a component schema of the OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}
    return [error.message for error in Draft202012Validator(schema).iter_errors(instance)]
