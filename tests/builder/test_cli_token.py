"""`callwright token add|list|remove`: API tokens with a role, from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from builder.auth.audit_log import AuditLog
from builder.auth.tokens import TokenStore
from builder.cli import main
from runtime.records import RecordsDatabase


def run(*args: str):
    """Run the command line in-process and return click's result."""
    return CliRunner().invoke(main, list(args))


def test_add_prints_the_token_once_and_it_is_found_by_its_secret(tmp_path: Path) -> None:
    result = run("token", "add", "ci", "--role", "editor", "--workspace", str(tmp_path))
    assert result.exit_code == 0, result.output
    text = result.stdout.strip()
    assert re.fullmatch(r"cw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", text)
    assert "shown only now" in result.stderr
    database = RecordsDatabase(f"sqlite:///{tmp_path / '.callwright' / 'callwright.sqlite3'}")
    try:
        found = TokenStore(database.engine).find(text)
        assert (found.name, found.role) == ("ci", "editor")
        listed = run("token", "list", "--workspace", str(tmp_path)).output
        assert f"{found.id}\tci\teditor\t" in listed and text not in listed
        assert run("token", "remove", found.id, "--workspace", str(tmp_path)).exit_code == 0
        assert TokenStore(database.engine).find(text) is None
        actions = [(e["action"], e["target_id"]) for e in AuditLog(database.engine).entries()]
        assert actions == [("token_removed", found.id), ("token_added", found.id)]
        assert text not in str(AuditLog(database.engine).entries())
    finally:
        database.close()


def test_an_unknown_id_and_a_bad_role_are_refused(tmp_path: Path) -> None:
    missing = run("token", "remove", "nope", "--workspace", str(tmp_path))
    assert missing.exit_code == 2 and "no token 'nope'" in missing.stderr
    assert run("token", "add", "x", "--role", "root", "--workspace", str(tmp_path)).exit_code == 2
    assert "no tokens" in run("token", "list", "--workspace", str(tmp_path)).output
