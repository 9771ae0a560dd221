"""`callwright user add|passwd|remove|list`: the people who sign in, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.auth.audit_log import AuditLog
from builder.auth.passwords import verify_password
from builder.auth.users import UserStore
from builder.auth.web_sessions import WebSessionStore
from builder.cli import main
from runtime.records import RecordsDatabase


def run(*args: str, input: str | None = None):
    """Run the command line in-process and return click's result."""
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return an empty workspace folder."""
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest.fixture
def records(root: Path):
    """Return a function opening the workspace's records database (closed after the test)."""
    opened = []

    def open_() -> RecordsDatabase:
        database = RecordsDatabase(f"sqlite:///{root / '.callwright' / 'callwright.sqlite3'}")
        opened.append(database)
        return database
    yield open_
    for database in opened:
        database.close()


def add(root: Path, name: str, role: str, password: str = "long-enough-1", *extra: str):
    """Add a user with --password-stdin."""
    return run("user", "add", name, "--role", role, "--password-stdin", "--workspace", str(root),
               *extra, input=password + "\n")


def test_add_stores_the_user_with_an_argon2id_hash(root, records) -> None:
    result = add(root, "Anna", "admin", "long-enough-1", "--display-name", "Anna K",
                 "--email", "anna@example.com", "--language", "ru")
    assert result.exit_code == 0, result.output
    assert "added anna (admin)" in result.output
    users = UserStore(records().engine)
    row = users.with_hash("anna")
    assert row.password_hash.startswith("$argon2id$")
    assert verify_password(row.password_hash, "long-enough-1")
    assert (row.display_name, row.email, row.language) == ("Anna K", "anna@example.com", "ru")


def test_on_a_terminal_the_password_is_asked_twice(root, records, monkeypatch) -> None:
    monkeypatch.setattr("builder.cli.user.on_terminal", lambda: True)
    result = CliRunner().invoke(main, ["user", "add", "ed", "--role", "editor", "--workspace",
                                       str(root)], input="first-pass-1\nfirst-pass-1\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert verify_password(UserStore(records().engine).with_hash("ed").password_hash,
                           "first-pass-1")


def test_without_a_terminal_or_password_stdin_add_refuses(root) -> None:
    result = run("user", "add", "ed", "--role", "editor", "--workspace", str(root), input="")
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("user", "add", "Bad Name", "--role", "viewer"), "lower-case letters"),
    (("user", "add", "x", "--role", "owner"), "Invalid value for '--role'"),
])
def test_bad_names_and_roles_are_refused(root, args, message) -> None:
    result = run(*args, "--password-stdin", "--workspace", str(root), input="long-enough-1\n")
    assert result.exit_code == 2 and message in result.output


def test_a_short_password_and_a_taken_name_are_refused(root) -> None:
    assert add(root, "anna", "admin", "short").exit_code == 2
    assert add(root, "anna", "admin").exit_code == 0
    again = add(root, "anna", "viewer")
    assert again.exit_code == 2 and "already a user 'anna'" in again.stderr


def test_passwd_changes_the_password_and_signs_the_user_out(root, records) -> None:
    add(root, "anna", "admin")
    database = records()
    users = UserStore(database.engine)
    sessions = WebSessionStore(database.engine)
    session_id, _ = sessions.open(users.get("anna").id)
    result = run("user", "passwd", "anna", "--password-stdin", "--workspace", str(root),
                 input="brand-new-pass\n")
    assert result.exit_code == 0, result.output
    assert "1 browser session signed out" in result.output
    assert verify_password(users.with_hash("anna").password_hash, "brand-new-pass")
    assert sessions.find(session_id) is None
    missing = run("user", "passwd", "nobody", "--password-stdin", "--workspace", str(root),
                  input="brand-new-pass\n")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.stderr


def test_list_and_remove(root) -> None:
    assert "no users" in run("user", "list", "--workspace", str(root)).output
    add(root, "anna", "admin", "long-enough-1", "--email", "anna@example.com")
    add(root, "vic", "viewer")
    listed = run("user", "list", "--workspace", str(root)).output.splitlines()
    assert listed == ["anna\tadmin\t<anna@example.com>", "vic\tviewer"]
    last_admin = run("user", "remove", "anna", "--workspace", str(root))
    assert last_admin.exit_code == 2 and "last admin" in last_admin.stderr
    assert run("user", "remove", "vic", "--workspace", str(root)).exit_code == 0
    result = run("user", "remove", "anna", "--workspace", str(root))
    assert result.exit_code == 0 and "no users are left" in result.output


def test_user_changes_are_audited_by_the_system_user(root, records) -> None:
    add(root, "anna", "admin")
    run("user", "passwd", "anna", "--password-stdin", "--workspace", str(root),
        input="brand-new-pass\n")
    add(root, "vic", "viewer")
    run("user", "remove", "vic", "--workspace", str(root))
    entries = AuditLog(records().engine).entries()
    assert [(e["action"], e["target_id"]) for e in reversed(entries)] == [
        ("user_added", "anna"), ("user_changed", "anna"), ("user_added", "vic"),
        ("user_removed", "vic")]
    assert {e["actor_kind"] for e in entries} == {"system"}
    assert "brand-new-pass" not in str(entries)


def test_a_workspace_whose_settings_are_wrong_is_a_clear_error(root) -> None:
    (root / "callwright.toml").write_text("[storage]\ndatabase_url = \"mysql+nope://x\"\n")
    result = run("user", "list", "--workspace", str(root))
    assert result.exit_code == 2 and "cannot be opened" in result.stderr


def test_a_display_name_longer_than_its_column_is_refused(root) -> None:
    result = run("user", "add", "anna", "--role", "admin", "--display-name", "A" * 129,
                 "--password-stdin", "--workspace", str(root), input="long-enough-1\n")
    assert result.exit_code == 2
    assert "display_name must be at most 128 characters" in result.stderr
