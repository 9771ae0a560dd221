"""The auth stores on the records database, SQLite and PostgreSQL alike: users, tokens, browser
sessions, the sign-in limit and the audit log."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from builder.auth import users as users_module
from builder.auth.audit_log import AuditLog
from builder.auth.passwords import verify_password
from builder.auth.rate_limit import SignInLimit
from builder.auth.tokens import TokenStore
from builder.auth.users import UserError, UserStore
from builder.auth.web_sessions import WebSessionStore
from runtime.records import RecordsDatabase


@pytest.fixture
def engine(records_url):
    """Return the engine of a migrated, empty records database."""
    database = RecordsDatabase(records_url)
    yield database.engine
    database.close()


def test_users_are_added_changed_and_removed(engine) -> None:
    users = UserStore(engine)
    assert not users.any()
    anna = users.add("Anna", "admin", "first-password", email="anna@example.com")
    assert (anna.name, anna.role, anna.language) == ("anna", "admin", "en")
    with pytest.raises(UserError) as taken:
        users.add("ANNA", "viewer", "other-password")
    assert taken.value.code == "user_exists"
    users.add("vic", "viewer", "vic-password")
    changed = users.update("vic", role="editor", password="new-password", language="ru")
    assert (changed.role, changed.language) == ("editor", "ru")
    assert verify_password(users.with_hash("vic").password_hash, "new-password")
    assert [u.name for u in users.all()] == ["anna", "vic"]
    users.remove("vic")
    assert users.get("vic") is None
    with pytest.raises(UserError) as missing:
        users.remove("vic")
    assert missing.value.code == "user_not_found"


def test_the_last_admin_stays_while_other_users_remain(engine) -> None:
    users = UserStore(engine)
    users.add("anna", "admin", "first-password")
    with pytest.raises(UserError, match="last admin"):
        users.update("anna", role="viewer")  # even alone: an admin-less user could manage nobody
    users.add("vic", "viewer", "vic-password")
    with pytest.raises(UserError, match="last admin"):
        users.remove("anna")
    users.remove("vic")
    users.remove("anna")  # the very last user may go: the server is back to local mode
    assert not users.any()


@pytest.mark.parametrize("change", ["demote", "remove"])
def test_two_admins_changed_at_once_never_leave_no_admin(engine, monkeypatch, change) -> None:
    users = UserStore(engine)
    for name in ("anna", "bert"):
        users.add(name, "admin", "first-password")
    users.add("vic", "viewer", "vic-password")
    # each change has counted the other admins before either writes
    both_counted = threading.Barrier(2)
    keep_an_admin = users_module._keep_an_admin

    def counted_then_waits(*args, **kwargs) -> None:
        keep_an_admin(*args, **kwargs)
        try:
            both_counted.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other change waits for this one to end: as it should
    monkeypatch.setattr(users_module, "_keep_an_admin", counted_then_waits)

    def make(name: str) -> str:
        try:
            if change == "demote":
                UserStore(engine).update(name, role="viewer")
            else:
                UserStore(engine).remove(name)
        except UserError as exc:
            return exc.code
        return "done"
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(make, ["anna", "bert"]))
    assert outcomes == ["done", "last_admin"]
    assert [user.name for user in users.all() if user.role == "admin"] != []


def test_removing_a_user_ends_their_browser_sessions(engine) -> None:
    users, sessions = UserStore(engine), WebSessionStore(engine)
    users.add("anna", "admin", "first-password")
    vic = users.add("vic", "viewer", "vic-password")
    session_id, csrf = sessions.open(vic.id)
    found = sessions.find(session_id)
    assert found.user.name == "vic" and found.csrf_token == csrf
    users.remove("vic")
    assert sessions.find(session_id) is None


def test_a_session_opens_only_on_the_password_hash_its_sign_in_checked(engine) -> None:
    users, sessions = UserStore(engine), WebSessionStore(engine)
    vic = users.add("vic", "viewer", "vic-password")
    checked = users.with_hash("vic").password_hash
    assert sessions.open(vic.id, password_hash=checked) is not None
    users.update("vic", password="new-password")
    assert sessions.open(vic.id, password_hash=checked) is None
    assert not users.set_hash(vic.id, "stronger", replacing=checked)  # the new one stays
    assert verify_password(users.with_hash("vic").password_hash, "new-password")
    users.remove("vic")
    assert sessions.open(vic.id, password_hash=checked) is None


def test_a_session_slides_on_use_and_ends_when_it_runs_out(engine, monkeypatch) -> None:
    user = UserStore(engine).add("anna", "admin", "first-password")
    sessions = WebSessionStore(engine, ttl_s=100.0)
    session_id, _ = sessions.open(user.id)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 90)
    slid = sessions.find(session_id)
    assert slid is not None and slid.expires_at == pytest.approx(now + 190)
    monkeypatch.setattr(time, "time", lambda: now + 185)
    assert sessions.find(session_id) is not None  # within the slid expiry
    monkeypatch.setattr(time, "time", lambda: now + 500)
    assert sessions.find(session_id) is None


def test_close_all_keeps_only_the_session_asked_for(engine) -> None:
    user = UserStore(engine).add("anna", "admin", "first-password")
    sessions = WebSessionStore(engine)
    kept, _ = sessions.open(user.id)
    gone, _ = sessions.open(user.id)
    assert sessions.close_all(user.id, keep=sessions.find(kept).id_hash) == 1
    assert sessions.find(kept) is not None and sessions.find(gone) is None


def test_tokens_are_found_by_their_secret_only(engine) -> None:
    tokens = TokenStore(engine)
    made, text = tokens.add("ci", "editor", created_by="anna")
    assert tokens.find(text).id == made.id
    prefix, secret = text.rsplit("_", 1)[0], text.rsplit("_", 1)[1]
    assert tokens.find(f"{prefix}_{'A' * len(secret)}") is None
    assert tokens.find("cw_nope") is None
    assert tokens.get(made.id).last_used_at is not None
    assert tokens.remove(made.id).name == "ci" and tokens.find(text) is None
    with pytest.raises(ValueError):
        tokens.add("x", "root")


def test_the_sign_in_limit_counts_across_connections_and_windows(engine, monkeypatch) -> None:
    limit = SignInLimit(engine, per_user=5, per_address=8, window_s=60.0)
    with ThreadPoolExecutor(4) as pool:  # workers failing at once each count
        list(pool.map(lambda _: limit.failed("anna", "192.0.2.1"), range(5)))
    assert 55 <= limit.retry_after("anna", "192.0.2.1") <= 60
    assert limit.retry_after("vic", "192.0.2.1") is None
    for _ in range(3):
        limit.failed("vic", "192.0.2.1")
    assert limit.retry_after("zed", "192.0.2.1") is not None  # 8 from the address
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert limit.retry_after("anna", "192.0.2.1") is None
    limit.failed("anna", "192.0.2.1")  # a new window starts at one
    assert limit.retry_after("anna", "192.0.2.1") is None


def test_attempts_made_at_once_are_let_through_no_more_than_the_limit(engine) -> None:
    limit = SignInLimit(engine, per_user=5, per_address=8, window_s=60.0)
    with ThreadPoolExecutor(12) as pool:
        waits = list(pool.map(lambda _: limit.attempt("anna", "192.0.2.1"), range(12)))
    assert waits.count(None) == 5 and all(55 <= wait <= 61 for wait in waits if wait)
    assert limit.attempt("vic", "192.0.2.1") is None  # 6 from the address
    limit.succeeded("vic", "192.0.2.1", attempted=True)  # a success gives its attempt back
    assert [limit.attempt("vic", "192.0.2.1") for _ in range(3)] == [None] * 3
    assert limit.attempt("vic", "192.0.2.1") is not None  # 8 from the address


def test_the_audit_log_filters_and_pages(engine) -> None:
    log = AuditLog(engine)
    log.record("anna", "user", "user_added", "user", "vic", {"role": "viewer"}, "127.0.0.1")
    log.record("ed", "user", "flow_published", "flow", "support", {"version": 2})
    entries = log.entries()
    assert [e["action"] for e in entries] == ["flow_published", "user_added"]
    assert entries[1]["detail"] == {"role": "viewer"} and entries[1]["address"] == "127.0.0.1"
    assert [e["target_id"] for e in log.entries(target="vic")] == ["vic"]
    assert log.entries(before=entries[1]["at"]) == []
    assert len(log.entries(limit=1)) == 1


def test_text_postgresql_refuses_is_never_sent_to_it(engine) -> None:
    users, tokens, log = UserStore(engine), TokenStore(engine), AuditLog(engine)
    assert users.with_hash("an\x00na") is None and users.get("x" * 500) is None
    with pytest.raises(UserError) as missing:
        users.remove("an\x00na")
    assert missing.value.code == "user_not_found"
    assert tokens.get("\x00") is None and tokens.remove("nope\x00") is None
    log.record("an\x00na", "anonymous", "sign_in_failed", "session", "an\x00na", {"x": "\x00"})
    [entry] = log.entries()
    assert entry["actor"] == "an\ufffdna" and entry["detail"] == {"x": "\x00"}


@pytest.mark.parametrize("fields, message", [
    ({"display_name": "A" * 129}, "display_name must be at most 128 characters, not 129"),
    ({"email": "a" * 250 + "@x.example"}, "email must be at most 256 characters, not 260"),
    ({"display_name": "Anna\x00"}, "display_name may not hold a NUL character"),
    ({"language": "de"}, "language must be one of"),
])
def test_details_that_do_not_fit_are_refused_and_nothing_is_stored(engine, fields,
                                                                     message) -> None:
    users = UserStore(engine)
    with pytest.raises(UserError, match=message) as refused:
        users.add("anna", "admin", "first-password", **fields)
    assert refused.value.code == "bad_request" and not users.any()
    users.add("anna", "admin", "first-password", display_name="A" * 128)
    with pytest.raises(UserError, match=message):
        users.update("anna", **fields)
    assert users.get("anna").display_name == "A" * 128
