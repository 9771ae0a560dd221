"""GET /api/v1/recordings: what record blocks took, listed, described and played back."""

from __future__ import annotations

import io
import wave

import pytest
from jsonschema import Draft202012Validator

from runtime.media import tone

AUDIO = tone(440.0, seconds=1.0).pcm


@pytest.fixture
def app(workspace_app, reminder_flow):
    """Return an app over a workspace with the reminder flow."""
    return workspace_app(reminder_flow)


@pytest.fixture
def client(app):
    """Return the local admin's test client (a loopback server with no users)."""
    return app.test_client()


@pytest.fixture
def store(app):
    """Return the app's recording store."""
    return app.extensions["callwright.runtime"].recordings


def keep(store, session: str = "s1", flow: str = "voicemail", pcm: bytes | None = AUDIO):
    """Keep a recording as a record block on a call would."""
    return store.add(session_id=session, flow_id=flow, block="leave", seconds=1.0, pcm=pcm)


def played(client, recording_id: str, **options):
    """Return the answer to a request for a recording's audio, its file closed."""
    response = client.get(f"/api/v1/recordings/{recording_id}/audio", **options)
    response.get_data()  # read it all, then close the file, as a server does once it is sent
    response.close()
    return response


def listed(client, query: str = "") -> list[str]:
    """Return the ids listed for a query."""
    response = client.get(f"/api/v1/recordings{query}")
    assert response.status_code == 200
    return [row["recording"] for row in response.get_json()["recordings"]]


def test_recordings_are_listed_newest_first_by_flow_and_session(client, store):
    first, second = keep(store, "s1"), keep(store, "s2")
    other = keep(store, "s3", flow="survey")
    assert listed(client) == [other.id, second.id, first.id]
    assert listed(client, "?flow=voicemail") == [second.id, first.id]
    assert listed(client, "?session=s1") == [first.id]
    assert listed(client, "?flow=survey&session=s1") == []


def test_limit_and_before_page_through_the_list(client, store):
    made = [keep(store, f"s{n}") for n in range(3)]
    page = client.get("/api/v1/recordings?limit=2").get_json()["recordings"]
    assert [row["recording"] for row in page] == [made[2].id, made[1].id]
    assert listed(client, f"?limit=2&before={page[-1]['created_at']}") == [made[0].id]


@pytest.mark.parametrize("query", ["?limit=0", "?limit=x", "?before=soon", "?flow=" + "x" * 200])
def test_bad_paging_and_filters_are_a_400_envelope(client, query):
    response = client.get(f"/api/v1/recordings{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"]


def test_a_recording_is_described_by_its_metadata(client, store):
    row = keep(store)
    body = client.get(f"/api/v1/recordings/{row.id}").get_json()
    assert body == {"recording": row.id, "session": "s1", "flow": "voicemail", "block": "leave",
                    "seconds": 1.0, "audio": True, "url": f"/api/v1/recordings/{row.id}/audio",
                    "created_at": row.created_at}


def test_the_audio_plays_back_as_the_wav_that_was_written(client, store):
    row = keep(store)
    response = played(client, row.id)
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as wav:
        assert wav.getframerate() == 8000
        assert wav.readframes(wav.getnframes()) == AUDIO
    ranged = played(client, row.id, headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.data == b"RIFF"


def test_a_recording_without_audio_is_described_but_its_audio_is_a_404(client, store):
    row = keep(store, pcm=None)
    assert client.get(f"/api/v1/recordings/{row.id}").get_json()["audio"] is False
    response = client.get(f"/api/v1/recordings/{row.id}/audio")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "recording_has_no_audio"


def test_a_file_removed_from_disk_is_a_404_not_a_500(client, store):
    row = keep(store)
    (store.root / row.path).unlink()
    assert client.get(f"/api/v1/recordings/{row.id}/audio").status_code == 404


@pytest.mark.parametrize("recording_id", ["nope", "0" * 32, "a%00b", "x" * 300])
@pytest.mark.parametrize("suffix", ["", "/audio"])
def test_an_unknown_or_malformed_id_is_a_404_envelope(client, recording_id, suffix):
    response = client.get(f"/api/v1/recordings/{recording_id}{suffix}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "recording_not_found"


def test_an_id_that_climbs_out_is_no_route_at_all(client, app):
    (app.extensions["callwright.runtime"].workspace.root / "callwright.toml").write_text("")
    response = client.get("/api/v1/recordings/..%2F..%2Fcallwright.toml/audio")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_signing_in_is_needed_once_there_are_users(auth_app, sign_in):
    app = auth_app("ann:viewer")
    row = keep(app.extensions["callwright.runtime"].recordings)
    client = app.test_client()
    for path in ("/api/v1/recordings", f"/api/v1/recordings/{row.id}",
                 f"/api/v1/recordings/{row.id}/audio"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"]
    sign_in(client, "ann")
    assert played(client, row.id).status_code == 200


def test_the_answers_match_the_documented_schemas(client, store):
    spec = client.get("/api/v1/openapi.json").get_json()
    row = keep(store, pcm=None)
    for name, body in (("RecordingList", client.get("/api/v1/recordings").get_json()),
                       ("Recording", client.get(f"/api/v1/recordings/{row.id}").get_json()),
                       ("Error", client.get("/api/v1/recordings/nope").get_json()),
                       ("Error", client.get(f"/api/v1/recordings/{row.id}/audio").get_json())):
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        assert list(Draft202012Validator(schema).iter_errors(body)) == [], name


def test_the_audio_plays_back_through_both_doors_serve_may_run(thread_loops, app, store,
                                                                front_door):
    row = keep(store)
    response = front_door(app).get(f"/api/v1/recordings/{row.id}/audio")
    data = response.data
    getattr(response, "close", lambda: None)()  # Flask's client holds the file until closed
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert data[:4] == b"RIFF" and len(data) == 44 + len(AUDIO)
