"""The recordings index: rows in the records database, WAV files under the workspace."""

from __future__ import annotations

import dataclasses
import wave

import pytest
from sqlalchemy import inspect

from runtime.media import tone
from runtime.records import RecordingStore, RecordsDatabase, head, revision
from runtime.records.recordings import FOLDER

SESSION = "0193a0b1c2d3e4f5a6b7c8d9e0f1a2b3"


@pytest.fixture
def store(records_url, tmp_path):
    """Return a recording store over a fresh records database and an empty workspace."""
    records = RecordsDatabase(records_url)
    yield RecordingStore(records.engine, tmp_path / "ws")
    records.close()


def test_a_recording_with_audio_is_a_wav_file_under_its_session_and_a_row(store):
    pcm = tone(seconds=1.5).pcm
    row = store.add(session_id=SESSION, flow_id="voicemail", block="leave", seconds=1.5, pcm=pcm)
    assert row.path == f"{FOLDER.as_posix()}/{SESSION}/{row.id}.wav"
    audio = store.audio(store.get(row.id))
    assert audio == (store.root / row.path).resolve()
    with wave.open(str(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == pcm
    assert store.get(row.id) == row


def test_a_recording_without_audio_is_a_row_with_no_file(store):
    row = store.add(session_id=SESSION, flow_id="voicemail", block="leave", seconds=3.2, pcm=None)
    found = store.get(row.id)
    assert found.path is None and found.seconds == 3.2
    assert store.audio(found) is None
    assert not (store.root / FOLDER).exists()
    assert found.as_dict()["audio"] is False


def test_recordings_are_listed_newest_first_by_flow_and_session_and_paged(store):
    made = [store.add(session_id=session, flow_id=flow, block="leave", seconds=1.0, pcm=None)
            for session, flow in (("s1", "voicemail"), ("s2", "voicemail"), ("s3", "survey"))]
    assert [r.id for r in store.recent()] == [r.id for r in reversed(made)]
    assert [r.id for r in store.recent(flow_id="voicemail")] == [made[1].id, made[0].id]
    assert [r.id for r in store.recent(session_id="s3")] == [made[2].id]
    assert store.recent(flow_id="survey", session_id="s1") == []
    first = store.recent(limit=2)
    assert [r.id for r in store.recent(before=first[-1].created_at)] == [made[0].id]


@pytest.mark.parametrize("recording_id", ["nope", "A" * 32, "../../etc/passwd", "a\x00b", ""])
def test_an_id_no_recording_can_have_finds_none(store, recording_id):
    assert store.get(recording_id) is None


def test_a_filter_no_row_can_have_lists_none_on_either_database(store):
    assert store.recent(flow_id="a\x00b") == [] and store.recent(session_id="\x00") == []


def test_a_path_that_leads_out_of_the_recordings_folder_is_never_served(store, tmp_path):
    row = store.add(session_id=SESSION, flow_id="f", block="b", seconds=1.0, pcm=bytes(320))
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    forged = dataclasses.replace(row, path="../secret.wav")
    assert store.audio(forged) is None


def test_a_session_id_that_is_no_safe_folder_name_is_kept_in_a_folder_of_its_own(store):
    row = store.add(session_id="../x", flow_id="f", block="b", seconds=1.0, pcm=bytes(320))
    assert row.path == f"{FOLDER.as_posix()}/other/{row.id}.wav"
    assert store.get(row.id).session_id == "../x"


def test_the_recordings_table_comes_with_its_migration(records_url):
    records = RecordsDatabase(records_url)
    try:
        assert revision(records.engine) == head()  # 0004 and every migration after it
        table = inspect(records.engine)
        assert {c["name"] for c in table.get_columns("recordings")} == {
            "id", "session_id", "flow_id", "block", "seconds", "path", "created_at"}
        assert {i["name"] for i in table.get_indexes("recordings")} == {
            "ix_recordings_session_id", "ix_recordings_created_at", "ix_recordings_flow_created"}
    finally:
        records.close()
