"""A `record` block on a real SIP call: sipp speaks A-law, a WAV is kept and the API plays it."""

from __future__ import annotations

import io
import json
import time
import wave
from pathlib import Path

import pytest
from serving import stop

from builder.app import create_app
from runtime.records import RecordingStore, open_engine
from runtime.tasks import task_config
from runtime.workspace import load_settings

from .conftest import VoiceNode, start_node
from .test_calls import dispositions, place, verdict

MAX_S = 3
VOICEMAIL = {"start": "leave", "blocks": {
    "leave": {"type": "record", "config": {"max_s": MAX_S, "variable": "vars.message"},
              "exits": {"next": "kept", "noinput": "nothing"}},
    "kept": {"type": "end", "config": {"disposition": "kept"}},
    "nothing": {"type": "end", "config": {"disposition": "nothing"}}}}
ROW_WAIT_S = 10.0


@pytest.fixture(scope="module")
def voicemail_node(tmp_path_factory: pytest.TempPathFactory, espeak: str) -> VoiceNode:
    """A node of two ports whose number `voicemail` records the caller for MAX_S seconds."""
    folder = tmp_path_factory.mktemp("voicemail")
    (folder / "flows").mkdir()
    (folder / "flows" / "voicemail.json").write_text(json.dumps(
        {"schema": "callwright/flow@1", "id": "voicemail", **VOICEMAIL}))
    (folder / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "voice": {"voicemail": "voicemail"}}))
    (folder / "callwright.toml").write_text('[sip]\nlisten = "127.0.0.1:5060"\nports = 2\n'
                                            'ring_s = 0\n')
    started = start_node(folder)
    yield started
    assert stop(started.process) == 0, started.log.read_text(errors="replace")


def recordings_of(root: Path) -> list:
    """Wait for the node's recordings of the voicemail flow to be indexed; return them."""
    engine = open_engine(task_config(root, load_settings(root)).database_url)
    store = RecordingStore(engine, root)
    try:
        deadline = time.monotonic() + ROW_WAIT_S
        while not (found := store.recent(flow_id="voicemail")) and time.monotonic() < deadline:
            time.sleep(0.2)
        return found
    finally:
        engine.dispose()


def test_a_caller_who_speaks_is_kept_as_a_wav_of_the_recordings_length_and_listed(
        sipp, voicemail_node):
    run = place(sipp, voicemail_node, "speak", "voicemail", timeout_s=20)
    assert run.returncode == 0, verdict(run)
    assert dispositions(voicemail_node, "voicemail", 1) == ["kept"]  # its steps are written
    [row] = recordings_of(voicemail_node.workspace)
    assert row.block == "leave" and MAX_S - 0.5 <= row.seconds <= MAX_S + 0.1
    wav_path = voicemail_node.workspace / row.path
    with wave.open(str(wav_path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        heard_s = wav.getnframes() / 8000
    # the caller's packets over the recording's seconds: a few may fall either side of them
    assert MAX_S - 0.6 <= heard_s <= MAX_S + 0.2, heard_s
    app = create_app(voicemail_node.workspace, {"TESTING": True})
    try:
        client = app.test_client()
        listed = client.get("/api/v1/recordings?flow=voicemail").get_json()["recordings"]
        assert [item["recording"] for item in listed] == [row.id]
        assert listed[0]["session"] == row.session_id and listed[0]["audio"] is True
        audio = client.get(listed[0]["url"])
        data = audio.data
        audio.close()
        assert audio.status_code == 200 and audio.mimetype == "audio/wav"
        with wave.open(io.BytesIO(data)) as played:
            frames = played.readframes(played.getnframes())
        # speech, not silence: A-law speech decodes to samples far from zero
        assert max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True))
                   for i in range(0, len(frames), 2)) > 1000
        steps = app.extensions["callwright.runtime"].execution(row.session_id)["steps"]
        leave = next(step for step in steps if step["block"] == "leave")
        assert leave["exit"] == "next" and row.id in leave["note"]
    finally:
        app.extensions["callwright.runtime"].close()
