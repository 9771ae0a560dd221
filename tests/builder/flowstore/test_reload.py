"""Files changed through git go live in every worker, and each change is recorded once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from builder.flowstore import FlowWatcher

REPO = Path(__file__).resolve().parents[3]
WORKER = """
import json, sys, time
from pathlib import Path
from blocks import default_registry
from builder.flowstore import FlowStore
from runtime.records import RecordsDatabase
from runtime.workspace import Workspace

root, url, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
store = FlowStore.open(Workspace.load(root, default_registry()), RecordsDatabase(url).engine)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
print(json.dumps(store.refresh().live), flush=True)
"""


def pull(run_git, root: Path, doc: dict, message: str = "Shorter greeting") -> None:
    """Change a flow file as a git pull would: a new file in its place, committed by ops."""
    path = root / "flows" / f"{doc['id']}.json"
    part = path.with_suffix(".part")
    part.write_text(json.dumps(doc), "utf-8")
    part.replace(path)
    run_git(root, "commit", "--quiet", "-am", message)


def wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_flows_live_at_start_are_recorded_once_with_their_git_author(open_store, hello_flow):
    store = open_store(hello_flow(), git_repo=True)
    [version] = store.sync()
    assert (version.number, version.source, version.author, version.note) == (
        1, "git", "Olga Ops <olga@example.com>", "Workspace as the ops team keeps it")
    assert version.commit and version.text == store.version("hello", 1).text
    assert open_store().sync() == []  # another worker starting: nothing new


def test_a_change_pulled_through_git_is_live_and_a_version_by_its_committer(
        open_store, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    store.sync()
    pull(run_git, store.workspace.root, hello_flow("Hi!"))
    assert store.refresh().live == ("hello",)
    assert store.workspace.flows["hello"].doc == hello_flow("Hi!")
    latest = store.versions.latest("hello")
    assert (latest.number, latest.source, latest.author, latest.note) == (
        2, "git", "Olga Ops <olga@example.com>", "Shorter greeting")
    assert latest.commit == run_git(store.workspace.root, "rev-parse", "HEAD").strip()


def test_a_change_outside_git_is_a_version_with_no_author(open_store, hello_flow):
    store = open_store(hello_flow())
    store.sync()
    (store.workspace.root / "flows" / "hello.json").write_text(json.dumps(hello_flow("Hey.")))
    store.refresh()
    latest = store.versions.latest("hello")
    assert (latest.number, latest.author, latest.commit, latest.note) == (2, None, None,
                                                                         "Changed on disk")


def test_a_pulled_file_that_fails_validation_keeps_the_live_version_and_records_nothing(
        open_store, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    store.sync()
    pull(run_git, store.workspace.root, {**hello_flow(), "start": "missing"})
    reloaded = store.refresh()
    assert reloaded.live == () and list(reloaded.refused) == [
        str(store.workspace.root / "flows" / "hello.json")]
    assert store.workspace.flows["hello"].doc == hello_flow()
    assert store.versions.latest("hello").number == 1


def test_two_workers_noticing_one_change_record_one_version(open_store, hello_flow, run_git,
                                                            tmp_path):
    store = open_store(hello_flow(), git_repo=True)
    store.sync()
    root, go = store.workspace.root, tmp_path / "go"
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(root), url, str(go)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        pull(run_git, root, hello_flow("Hi from git."))
        go.touch()
        seen = [json.loads(worker.stdout.readline()) for worker in workers]
    finally:
        for worker in workers:
            worker.stdout.close()
            worker.wait(timeout=30)
    assert seen == [["hello"], ["hello"]]  # both took it live
    assert [(v.number, v.source) for v in store.history("hello")] == [(2, "git"), (1, "git")]


def test_a_publish_seen_by_another_worker_is_not_recorded_again(open_store, ann, hello_flow):
    one, two = open_store(hello_flow(), git_repo=True), open_store()
    doc = hello_flow("Published.")
    etag = one.working_copy("hello").etag
    etag = one.save_draft("hello", json.dumps(doc).encode(), doc, ann, if_match=etag).etag
    one.publish("hello", ann, note="from the editor", if_match=etag)
    assert two.refresh().live == ("hello",)  # the other worker takes it live too
    assert [(v.number, v.source) for v in two.history("hello")] == [(1, "editor")]


def test_a_publish_made_while_another_worker_waits_to_record_is_not_undone(
        open_store, ann, hello_flow, monkeypatch):
    one, two = open_store(hello_flow(), git_repo=True), open_store()

    def publish(text: str) -> str:
        doc = hello_flow(text)
        etag = one.working_copy("hello").etag
        etag = one.save_draft("hello", json.dumps(doc).encode(), doc, ann, if_match=etag).etag
        return one.publish("hello", ann, note=text, if_match=etag).version.content_hash
    first = publish("First.")
    # the other worker has reloaded "First." when the next publish takes the lock before it
    held, later = two.recorder.lock.held, []

    def held_after_the_next_publish():
        if not later:
            later.append(publish("Second."))
        return held()
    monkeypatch.setattr(two.recorder.lock, "held", held_after_the_next_publish)
    two.refresh()
    assert [v.content_hash for v in reversed(two.history("hello"))] == [first, later[0]]
    assert two.workspace.flows["hello"].version == later[0]


def test_a_worker_starting_while_another_publishes_records_no_older_version(
        open_store, ann, hello_flow, run_git, monkeypatch):
    one = open_store(hello_flow(), git_repo=True)
    one.sync()
    pull(run_git, one.workspace.root, hello_flow("From git."))
    starting = open_store()  # loads the file as git left it, its versions not recorded yet
    doc = hello_flow("Published.")
    etag = one.working_copy("hello").etag
    etag = one.save_draft("hello", json.dumps(doc).encode(), doc, ann, if_match=etag).etag
    held, published = starting.recorder.lock.held, []

    def held_after_a_publish():  # the running worker publishes before the lock is free
        if not published:
            published.append(one.publish("hello", ann, note="x", if_match=etag).version)
        return held()
    monkeypatch.setattr(starting.recorder.lock, "held", held_after_a_publish)
    starting.sync()
    assert [(v.number, v.content_hash) for v in starting.history("hello")][0] == \
        (published[0].number, published[0].content_hash)
    assert starting.workspace.flows["hello"].version == published[0].content_hash


def test_the_watcher_notices_a_change_within_its_interval(open_store, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    store.sync()
    watcher = FlowWatcher(store.refresh, interval_s=0.05)
    watcher.start()
    try:
        pull(run_git, store.workspace.root, hello_flow("Watched."))
        wait_for(lambda: store.versions.latest("hello").number == 2)
    finally:
        watcher.stop()
    assert store.workspace.flows["hello"].doc == hello_flow("Watched.")


def test_sighup_wakes_the_watcher_at_once_and_stopping_gives_the_signal_back(
        open_store, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    store.sync()
    before = signal.getsignal(signal.SIGHUP)
    watcher = FlowWatcher(store.refresh, interval_s=3600)
    watcher.start()
    try:
        assert watcher.hangup
        pull(run_git, store.workspace.root, hello_flow("Hung up."))
        os.kill(os.getpid(), signal.SIGHUP)
        wait_for(lambda: store.versions.latest("hello").number == 2, timeout_s=5)
    finally:
        watcher.stop()
    assert signal.getsignal(signal.SIGHUP) is before


def test_a_watcher_started_outside_the_main_thread_polls_without_sighup(open_store, hello_flow):
    store = open_store(hello_flow())
    watcher = FlowWatcher(store.refresh, interval_s=0.05)
    thread = threading.Thread(target=watcher.start)
    thread.start()
    thread.join()
    try:
        assert not watcher.hangup
    finally:
        watcher.stop()
