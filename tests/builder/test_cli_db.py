"""`callwright db upgrade|current`: the records database's schema, for operators."""

from __future__ import annotations

from click.testing import CliRunner

from builder.cli import main
from runtime import Runtime
from runtime.records import head


def run(*args: str):
    """Run the command line in-process and return click's result."""
    return CliRunner().invoke(main, list(args))


def test_current_says_an_empty_database_is_behind_and_upgrade_brings_it_up(records_url, tmp_path):
    behind = run("db", "current", "--workspace", str(tmp_path), "--database-url", records_url)
    assert behind.exit_code == 1
    assert f"database: empty; newest: {head()}" in behind.output
    assert "callwright db upgrade" in behind.stderr
    upgraded = run("db", "upgrade", "--workspace", str(tmp_path), "--database-url", records_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"went from empty to {head()}" in upgraded.output
    again = run("db", "upgrade", "--workspace", str(tmp_path), "--database-url", records_url)
    assert again.exit_code == 0 and "nothing to do" in again.output
    current = run("db", "current", "--workspace", str(tmp_path), "--database-url", records_url)
    assert current.exit_code == 0 and f"database: {head()}; newest: {head()}" in current.output


def test_the_workspace_s_database_url_is_used_when_none_is_given(make_workspace):
    root = make_workspace(toml="[storage]\nmigrate = false\n")
    assert run("db", "upgrade", "--workspace", str(root)).exit_code == 0
    assert (root / ".callwright" / "callwright.sqlite3").exists()
    runtime = Runtime.open(root)  # told not to migrate, and it need not: the operator did
    runtime.close()


def test_a_runtime_told_not_to_migrate_refuses_to_open_before_the_upgrade(make_workspace):
    root = make_workspace(toml="[storage]\nmigrate = false\n")
    result = run("worker", "--workspace", str(root))
    assert result.exit_code == 2
    assert "run `callwright db upgrade`" in result.stderr


def test_a_database_url_no_driver_takes_is_refused_clearly(tmp_path):
    result = run("db", "current", "--workspace", str(tmp_path), "--database-url", "mysql+nope://x")
    assert result.exit_code == 2
    assert "[storage] database_url 'mysql+nope://x' cannot be opened" in result.stderr
