"""The versions table: numbered per flow from 1, immutable, one version per change."""

from __future__ import annotations

import threading

import pytest

from builder.flowstore import VersionMissing
from builder.flowstore.versions import VersionLog


def test_versions_are_numbered_per_flow_and_listed_newest_first(records):
    log = VersionLog(records, clock=lambda: 1_700_000_000.0)
    for text in ("a", "b"):
        log.record("one", text, f"hash-{text}", source="editor", author="Ann", note=text)
    log.record("two", "x", "hash-x", source="git")
    assert [v.number for v in log.history("one")] == [2, 1]
    assert log.history("one")[0].as_dict() == {
        "number": 2, "content_hash": "hash-b", "author": "Ann", "note": "b",
        "source": "editor", "commit": None, "created_at": "2023-11-14T22:13:20Z"}
    assert log.get("one", 1).text == "a"
    assert {flow: v.number for flow, v in log.newest().items()} == {"one": 2, "two": 1}
    assert log.with_hash("one", "hash-a").number == 1
    with pytest.raises(VersionMissing):
        log.get("one", 3)


def test_unless_latest_records_nothing_for_the_content_the_newest_version_has(records):
    log = VersionLog(records)
    assert log.record("one", "a", "hash-a", source="git", unless_latest=True).number == 1
    assert log.record("one", "a", "hash-a", source="git", unless_latest=True) is None
    assert log.record("one", "b", "hash-b", source="git", unless_latest=True).number == 2
    # back to an older content is a change, and a new version
    assert log.record("one", "a", "hash-a", source="git", unless_latest=True).number == 3


def test_writers_at_once_never_share_a_number(records):
    logs = [VersionLog(records) for _ in range(4)]
    numbers: list[int] = []

    def write(log: VersionLog) -> None:
        for n in range(5):
            numbers.append(log.record("busy", str(n), f"h{id(log)}{n}", source="editor").number)
    threads = [threading.Thread(target=write, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 21))
