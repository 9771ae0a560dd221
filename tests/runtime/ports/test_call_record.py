"""A `record` block on a call: the prompt, the beep, the recording, its file and its row."""

from __future__ import annotations

import wave

import pytest

from blocks import default_registry
from runtime import Runtime, Workspace, run_sync
from runtime.media import tone
from runtime.ports import Clock, Recording, run_call
from runtime.ports.emulator import CallerMix, CallerScript, EmulatorBoard
from runtime.ports.emulator.board import EmulatorPort
from runtime.records import ExecutionLog, RecordsDatabase

SPEED = 40
VOICEMAIL = {
    "leave": {"type": "record",
              "config": {"prompt": "Leave a message after the tone.", "max_s": 30,
                         "variable": "vars.message"},
              "exits": {"next": "thanks", "noinput": "nothing"}},
    "thanks": {"type": "end", "config": {"text": "Thank you.", "disposition": "left"}},
    "nothing": {"type": "end", "config": {"text": "Goodbye.", "disposition": "silent"}},
}


class SpeakingPort(EmulatorPort):
    """An emulated line whose caller's audio is kept, as on SIP: a tone stands for the voice."""

    keeps_audio = True
    audio: bytes | None = tone(440.0, seconds=2.0).pcm

    async def record(self, max_s: float) -> Recording:
        await super().record(max_s)  # the time it takes, and a hang-up meanwhile
        return Recording(2.0, self.audio)


class Call:
    """One call through a voicemail flow on a runtime with a records database."""

    def __init__(self, workspace, script: CallerScript, port_class: type = EmulatorPort) -> None:
        self.records = RecordsDatabase(f"sqlite:///{workspace / '.callwright' / 'records.db'}")
        self.log = ExecutionLog(self.records.engine)
        self.runtime = Runtime(Workspace.load(workspace, default_registry()), executions=self.log,
                               records=self.records)
        self.store = self.runtime.recordings
        self.board = EmulatorBoard(1, 1, clock=Clock(SPEED), callers=CallerMix((script,)))
        self.port = port_class("b1c1", self.board)
        self.events: list[dict] = []
        self.played: list[dict] = []
        play = self.port.play

        async def playing(prompt: dict) -> None:
            self.played.append(prompt)
            await play(prompt)
        self.port.play = playing
        self.session = run_sync(self._run())
        self.steps = self.log.steps(self.session.id)
        self.rows = self.store.recent(session_id=self.session.id)

    async def _run(self):
        self.board.offer(self.port, caller="+4930555000", called="voicemail")
        await self.port.answer()
        return await run_call(self.runtime, "voicemail", self.port, on_event=self.events.append)

    def close(self) -> None:
        self.runtime.close()


@pytest.fixture
def call(make_workspace, flow_doc):
    """Return call(script, port_class=EmulatorPort, blocks=VOICEMAIL): a finished call."""
    made: list[Call] = []

    def run(script: CallerScript, port_class: type = EmulatorPort,
            blocks: dict | None = None) -> Call:
        workspace = make_workspace(flow_doc("voicemail", blocks or VOICEMAIL))
        made.append(Call(workspace, script, port_class))
        return made[-1]
    yield run
    for each in made:
        each.close()


def test_the_prompt_then_the_beep_play_before_the_caller_is_recorded(call):
    done = call(CallerScript(actions=({"speak_s": 3},)))
    assert [p.get("text") or p.get("tone") for p in done.played[:2]] == [
        "Leave a message after the tone.", 1000]
    assert done.played[1] == {"tone": 1000, "duration_s": 0.25, "barge_in": False}
    assert done.session.disposition == "left"


def test_an_emulated_caller_who_speaks_gives_a_row_without_a_file_and_the_variable(call):
    done = call(CallerScript(actions=({"speak_s": 3},)))
    [row] = done.rows
    assert (row.flow_id, row.block, row.seconds, row.path) == ("voicemail", "leave", 3.0, None)
    assert done.session.vars["message"] == {"recording": row.id, "seconds": 3.0,
                                            "url": f"/api/v1/recordings/{row.id}/audio"}
    step = next(s for s in done.steps if s["block"] == "leave")
    assert step["exit"] == "next"
    assert row.id in step["note"]
    assert step["changes"][0][0] == "vars.message"


def test_a_port_that_keeps_audio_writes_the_recording_as_a_wav_under_its_session(call):
    done = call(CallerScript(actions=({"speak_s": 2},)), SpeakingPort)
    [row] = done.rows
    assert row.path == f".callwright/recordings/{done.session.id}/{row.id}.wav"
    with wave.open(str(done.store.audio(row))) as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() == 16000
        assert wav.readframes(16000) == SpeakingPort.audio
    assert done.session.vars["message"]["seconds"] == 2.0


def test_a_silent_caller_takes_noinput_and_nothing_is_kept(call):
    done = call(CallerScript(actions=({"silence": True},)))
    assert done.session.disposition == "silent"
    assert done.rows == [] and "message" not in done.session.vars
    assert {"event": "noinput", "block": "leave"} in done.events


def test_a_port_that_keeps_audio_but_heard_none_takes_noinput(call):
    class DeafPort(SpeakingPort):
        audio = None
    done = call(CallerScript(actions=({"speak_s": 2},)), DeafPort)
    assert done.session.disposition == "silent" and done.rows == []


def test_a_caller_who_hangs_up_while_recorded_ends_the_session_as_a_hangup(call):
    done = call(CallerScript(actions=({"speak_s": 20},), hangup_after_s=4))
    assert done.session.disposition == "caller_hangup"
    assert done.rows == []


def test_no_beep_plays_when_the_block_says_so_and_no_prompt_when_it_has_none(call):
    blocks = {**VOICEMAIL, "leave": {**VOICEMAIL["leave"], "config": {"beep": False}}}
    done = call(CallerScript(actions=({"speak_s": 1},)), blocks=blocks)
    assert not any("tone" in p for p in done.played)
    assert done.played[0]["text"] == "Thank you."
    assert done.session.disposition == "left"
