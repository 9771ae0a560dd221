"""A workspace in git: every publish, delete and rename is a commit authored by the user."""

from __future__ import annotations

import json
import stat

import pytest

from builder.flowstore import Author, FolderStore, GitFailed, GitStore


def save(store, doc: dict, author) -> str:
    etag = store.working_copy(doc["id"]).etag
    return store.save_draft(doc["id"], json.dumps(doc).encode(), doc, author, if_match=etag).etag


def last_commit(run_git, root) -> dict:
    """Return the author, committer, subject and files of the last commit."""
    fields = run_git(root, "log", "-1", "--format=%an <%ae>%x00%cn <%ce>%x00%B").split("\0")
    files = run_git(root, "show", "--name-status", "--format=", "HEAD").split()
    return {"author": fields[0], "committer": fields[1], "message": fields[2].strip(),
            "files": files, "sha": run_git(root, "rev-parse", "HEAD").strip()}


def test_the_store_of_a_folder_in_git_commits_and_of_a_plain_folder_does_not(open_store,
                                                                              hello_flow):
    assert isinstance(open_store(hello_flow(), git_repo=True).files, GitStore)


def test_a_plain_folder_publishes_without_a_commit(open_store, ann, hello_flow):
    store = open_store(hello_flow())
    assert isinstance(store.files, FolderStore)
    published = store.publish("hello", ann, note="x", if_match=save(store, hello_flow("2"), ann))
    assert published.version.commit is None


def test_publish_is_a_commit_of_the_flow_file_authored_by_the_user(open_store, ann, hello_flow,
                                                                   run_git):
    store = open_store(hello_flow(), git_repo=True)
    root = store.workspace.root
    store.sync()
    (root / "notes.txt").write_text("the ops team's own work in progress\n")
    run_git(root, "add", "notes.txt")
    published = store.publish("hello", ann, note="Warmer greeting",
                              if_match=save(store, hello_flow("Hello there."), ann))
    commit = last_commit(run_git, root)
    assert commit["author"] == "Ann Analyst <ann@example.com>"
    assert commit["committer"] == "Callwright <callwright@localhost>"  # no user configured
    assert commit["message"] == "Publish flow hello version 2: Warmer greeting"
    assert commit["files"] == ["M", "flows/hello.json"]  # only the flow, not the staged notes
    assert published.version.commit == commit["sha"]
    assert run_git(root, "status", "--porcelain").splitlines() == ["A  notes.txt"]
    assert run_git(root, "show", "HEAD:flows/hello.json") == \
        (root / "flows" / "hello.json").read_text("utf-8")


def test_the_repository_s_own_user_is_the_committer(open_store, ann, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    root = store.workspace.root
    run_git(root, "config", "user.name", "Deploy Bot")
    run_git(root, "config", "user.email", "deploy@example.com")
    store.publish("hello", ann, note=None, if_match=save(store, hello_flow("2"), ann))
    commit = last_commit(run_git, root)
    assert commit["committer"] == "Deploy Bot <deploy@example.com>"
    assert commit["message"] == "Publish flow hello version 1"


def test_a_new_flow_in_a_fresh_repository_is_its_first_commit(open_store, ann, run_git):
    store = open_store()
    root = store.workspace.root
    run_git(root, "init", "--quiet", "--initial-branch=main")
    store = open_store()  # reopened: now it is a repository
    draft = store.create("support", ann)
    published = store.publish("support", ann, note="First", if_match=draft.etag)
    assert last_commit(run_git, root)["files"] == ["A", "flows/support.json"]
    assert published.version.commit == last_commit(run_git, root)["sha"]


def test_delete_and_rename_are_commits(open_store, ann, hello_flow, run_git):
    store = open_store(hello_flow(), hello_flow(flow_id="other"), git_repo=True)
    root = store.workspace.root
    store.delete("other", ann)
    commit = last_commit(run_git, root)
    assert (commit["message"], commit["files"]) == ("Delete flow other", ["D", "flows/other.json"])
    assert commit["author"] == "Ann Analyst <ann@example.com>"
    store.rename("hello", "greeting", ann)
    commit = last_commit(run_git, root)
    assert commit["message"] == "Rename flow hello to greeting"
    assert sorted(commit["files"]) == sorted(["A", "flows/greeting.json", "D",
                                              "flows/hello.json"])
    assert run_git(root, "status", "--porcelain") == ""


def test_a_refused_commit_puts_the_file_back_and_records_nothing(open_store, ann, hello_flow,
                                                                 run_git):
    store = open_store(hello_flow(), git_repo=True)
    root = store.workspace.root
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'flows need a review' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    before = (root / "flows" / "hello.json").read_bytes()
    etag = save(store, hello_flow("Sneaky."), ann)
    with pytest.raises(GitFailed) as refused:
        store.publish("hello", ann, note="x", if_match=etag)
    assert refused.value.status == 500 and "commit" in refused.value.message
    assert (root / "flows" / "hello.json").read_bytes() == before
    assert run_git(root, "status", "--porcelain") == ""  # nothing left staged
    assert store.versions.latest("hello") is None
    assert store.drafts.read("hello").etag == etag


@pytest.mark.parametrize("name", [".", "   ", "<>", "'\\'"])
def test_a_display_name_git_refuses_still_publishes(open_store, hello_flow, run_git, name):
    # git refuses an author name of nothing but spaces and . , : ; < > " \ ' (its "crud")
    store = open_store(hello_flow(), git_repo=True)
    odd = Author(name, "ann@example.com")
    published = store.publish("hello", odd, note="x", if_match=save(store, hello_flow("2"), odd))
    commit = last_commit(run_git, store.workspace.root)
    assert published.version.commit == commit["sha"]
    assert commit["author"] == "Callwright <ann@example.com>"
    assert published.version.author == str(odd)  # the version still says who it was


def test_a_commit_git_cannot_be_asked_for_puts_the_file_back_too(open_store, ann, hello_flow,
                                                                  run_git):
    store = open_store(hello_flow(), git_repo=True)
    root = store.workspace.root
    before = (root / "flows" / "hello.json").read_bytes()
    etag = save(store, hello_flow("Sneaky."), ann)
    # a NUL cannot stand in a command line: the commit fails before git even runs
    with pytest.raises(GitFailed):
        store.publish("hello", ann, note="one\x00two", if_match=etag)
    assert (root / "flows" / "hello.json").read_bytes() == before
    assert run_git(root, "status", "--porcelain") == ""  # nothing left staged
    assert store.refresh().live == ()  # nothing for a reload to take live behind the refusal
    assert store.versions.latest("hello") is None
    assert store.drafts.read("hello").etag == etag


def test_a_file_s_origin_is_its_last_commit_unless_changed_since(open_store, hello_flow, run_git):
    store = open_store(hello_flow(), git_repo=True)
    root = store.workspace.root
    origin = store.files.origin("flows/hello.json")
    assert (str(origin.author), origin.subject) == ("Olga Ops <olga@example.com>",
                                                    "Workspace as the ops team keeps it")
    assert origin.commit == run_git(root, "rev-parse", "HEAD").strip()
    (root / "flows" / "hello.json").write_text(json.dumps(hello_flow("Edited in place.")))
    assert store.files.origin("flows/hello.json") is None
