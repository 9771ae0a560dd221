"""Recordings: what `record` blocks took, listed newest first and played back as WAV."""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from runtime.records import StoredRecording

from ..auth import requires
from ..errors import ApiError
from . import current_runtime, json_response
from .audit import before_of, filter_of, limit_of

bp = Blueprint("recordings", __name__)


@bp.get("/recordings")
@requires("viewer")
def list_recordings() -> Response:
    """List recordings, newest first, of a `flow` and/or `session`; `before` pages on."""
    # the same paging as the audit log and the executions list: `limit` 1 to 500, `before`
    limit, before = limit_of(), before_of()
    flow, session = filter_of("flow"), filter_of("session")
    store = current_runtime().recordings
    rows = store.recent(flow_id=flow, session_id=session, limit=limit, before=before) \
        if store is not None else []
    return json_response({"recordings": [row.as_dict() for row in rows]})


@bp.get("/recordings/<recording_id>")
@requires("viewer")
def get_recording(recording_id: str) -> Response:
    """Return one recording's metadata."""
    return json_response(_recording(recording_id).as_dict())


@bp.get("/recordings/<recording_id>/audio")
@requires("viewer")
def recording_audio(recording_id: str) -> Response:
    """Return a recording's audio as an 8 kHz WAV file; 404 when no audio was kept."""
    recording = _recording(recording_id)
    path = current_runtime().recordings.audio(recording)
    if path is None:
        raise ApiError(f"recording {recording_id!r} has no audio: its line kept none (the "
                       f"emulator) or its file is gone", code="recording_has_no_audio",
                       status=404)
    # conditional: browsers' audio elements ask for ranges and revalidate
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0,
                     download_name=f"{recording.id}.wav")


def _recording(recording_id: str) -> StoredRecording:
    """Return a recording by id, or raise the 404 that names it."""
    store = current_runtime().recordings
    found = store.get(recording_id) if store is not None else None
    if found is None:
        raise ApiError(f"no recording {recording_id[:64]!r}", code="recording_not_found",
                       status=404)
    return found
