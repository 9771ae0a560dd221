"""Chat sessions are saved at every wait and can be resumed by another process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading

import pytest

from blocks import default_registry
from runtime import Runtime, SessionBusy, SessionEnded, SessionNotFound
from runtime.sessions import MemorySessionStore, SqliteSessionStore
from runtime.workspace.live import Workspace


def test_the_first_message_triggers_the_session_and_the_first_menu_waits_for_the_next(example_workspace, tmp_path):
    runtime = Runtime.open(example_workspace, sessions_url=f"sqlite:///{tmp_path / 's.db'}",
                           database_url=f"sqlite:///{tmp_path / 'log.db'}")
    try:
        first = runtime.chat_turn("support-bot", None, "hello there")
        second = runtime.chat_turn("support-bot", first["session"], "opening HOURS")
        third = runtime.chat_turn("support-bot", first["session"], "nope")
    finally:
        runtime.close()
    assert [e["event"] for e in first["replies"]] == ["say", "ask"]
    assert first["replies"][1]["quick_replies"] == ["Balance", "Opening hours", "Agent"]
    assert second["replies"][0]["text"].startswith("We are open")
    assert third["ended"] and third["replies"][-1]["disposition"] == "completed"


def test_another_process_resumes_a_saved_session(example_workspace, tmp_path):
    sessions = tmp_path / "sessions.db"
    runtime = Runtime.open(example_workspace, sessions_url=f"sqlite:///{sessions}",
                           database_url=f"sqlite:///{tmp_path / 'log.db'}")
    try:
        first = runtime.chat_turn("support-bot", None, "what is my balance")
    finally:
        runtime.close()
    script = textwrap.dedent(f"""
        import json
        from runtime import Runtime
        rt = Runtime.open({str(example_workspace)!r}, sessions_url={f"sqlite:///{sessions}"!r},
                          database_url={f"sqlite:///{tmp_path / 'log2.db'}"!r})
        print(json.dumps(rt.chat_turn("support-bot", {first["session"]!r}, "no")))
        rt.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["ended"] and reply["replies"][0]["text"].startswith("Thanks for chatting")


def test_an_ended_session_takes_no_more_messages(example_workspace):
    runtime = Runtime.open(example_workspace, sessions_url="memory:")
    try:
        first = runtime.chat_turn("support-bot", None, "agent please")
        assert first["ended"] and first["replies"][-1]["disposition"] == "transferred"
        with pytest.raises(SessionEnded):
            runtime.chat_turn("support-bot", first["session"], "hello?")
        with pytest.raises(SessionNotFound):
            runtime.chat_turn("support-bot", "no-such-session", "hello?")
        with pytest.raises(SessionNotFound):
            runtime.chat_turn("bank-ivr", first["session"], "hello?")
    finally:
        runtime.close()


def test_two_turns_saving_the_same_session_cannot_both_win(tmp_path, example_workspace):
    store = SqliteSessionStore(tmp_path / "s.db")
    runtime = Runtime.open(example_workspace, sessions_url="memory:")
    try:
        first = runtime.chat_turn("support-bot", None, "hi")
        session = runtime.sessions.get(first["session"])
    finally:
        runtime.close()
    session.rev = 0
    store.save(session)
    copy_a, copy_b = store.get(session.id), store.get(session.id)
    copy_a.vars["turn"] = "a"
    store.save(copy_a)
    copy_b.vars["turn"] = "b"
    with pytest.raises(SessionBusy):
        store.save(copy_b)
    assert store.get(session.id).vars["turn"] == "a"


class RemoteStore(MemorySessionStore):
    """A store that says it waits on the network, noting the thread of every call."""

    remote = True

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def get(self, session_id):
        self.threads.append(threading.get_ident())
        return super().get(session_id)

    def save(self, session) -> None:
        self.threads.append(threading.get_ident())
        super().save(session)


def test_a_store_that_waits_on_the_network_is_called_off_the_event_loop(example_workspace):
    store = RemoteStore()
    runtime = Runtime(Workspace.load(example_workspace, default_registry()), store)

    async def conversation() -> int:
        first = await runtime.turn("support-bot", None, "hello there")
        await runtime.turn("support-bot", first["session"], "opening hours")
        return threading.get_ident()

    loop_thread = asyncio.run(conversation())
    runtime.close()
    assert len(store.threads) == 3  # save, get, save
    assert loop_thread not in store.threads
