"""Speech on a real SIP call: a caller says a menu option into its RTP stream and the flow takes
that option's branch; silence is a noinput, and keys still work in the same wait."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from serving import stop

from runtime.media import TextToSpeech, decode, encode
from runtime.ports.sip import rtp

from .conftest import RawCaller, VoiceNode, start_node, status, to_tag
from .test_calls import dispositions

SPOKEN = {"schema": "callwright/flow@1", "id": "spoken", "name": "spoken", "start": "menu",
          "blocks": {
              "menu": {"type": "menu", "config": {
                  "prompt": "Welcome to Acme Bank. Say balance, lost card or agent, or press "
                            "one, two or zero. Your call may be recorded for training.",
                  "options": [{"key": "1", "exit": "balance", "label": "Balance"},
                              {"key": "2", "exit": "card", "label": "Lost card",
                               "synonyms": ["stolen card"]},
                              {"key": "0", "exit": "agent", "label": "Agent"}],
                  "timeout_s": 3, "max_attempts": 1, "noinput_prompt": "",
                  "nomatch_prompt": ""},
                  "exits": {"balance": "balance", "card": "card", "agent": "agent",
                            "failed": "nothing"}},
              "balance": {"type": "end", "config": {"disposition": "balance"}},
              "card": {"type": "end", "config": {"disposition": "card"}},
              "agent": {"type": "end", "config": {"disposition": "agent"}},
              "nothing": {"type": "end", "config": {"disposition": "nothing"}}}}


# the same menu in a language PocketSphinx has no model for: the caller presses
SPOKEN_RU = {**SPOKEN, "id": "spoken_ru", "name": "spoken_ru", "settings": {"language": "ru-RU"}}


@pytest.fixture(scope="module")
def speech_node(tmp_path_factory: pytest.TempPathFactory, espeak: str) -> VoiceNode:
    folder = tmp_path_factory.mktemp("speech")
    (folder / "flows").mkdir()
    (folder / "flows" / "spoken.json").write_text(json.dumps(SPOKEN))
    (folder / "flows" / "spoken_ru.json").write_text(json.dumps(SPOKEN_RU))
    (folder / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "voice": {"spoken": "spoken", "spoken_ru": "spoken_ru"}}))
    (folder / "callwright.toml").write_text('[sip]\nlisten = "127.0.0.1:5060"\nports = 2\n'
                                            'ring_s = 0\n')
    started = start_node(folder)
    yield started
    assert stop(started.process) == 0, started.log.read_text(errors="replace")


SILENT = 0xFF  # PCMU's silence byte


def call(node: VoiceNode, ident: str, pcm: bytes, *, after_s: float = 1.0, number: str = "spoken",
         key: int | None = None, echo_db: float | None = None) -> list[bool]:
    """Call the spoken menu, send `pcm` as PCMU RTP in real time `after_s` into its prompt
    (silence before and after), and take the BYE the flow's end sends. Return, for each 20 ms
    frame sent, whether the IVR's latest packet by then was prompt audio (not silence).
    `key` is pressed (an RFC 4733 event) instead, `after_s` in. With `echo_db`, the line
    returns what the IVR sends, that many dB down, mixed into what the caller sends (a hybrid
    without an echo canceller)."""
    caller = RawCaller(node.port)
    try:
        caller.request("INVITE", number, ident, body=caller.sdp())
        answer = caller.receive(lambda m: m.startswith("SIP/2.0 2"))[-1]
        assert status(answer) == "SIP/2.0 200 OK"
        tag = to_tag(answer)
        caller.request("ACK", number, ident, to_tag=tag, branch="z9hG4bKack")
        caller.rtp.settimeout(2)
        _, ivr_address = caller.rtp.recvfrom(2048)  # the IVR hears where it sends from
        quiet = bytes(320 * int(after_s / 0.02))
        audio = quiet + pcm + bytes(320 * 75)  # then 1.5 s of quiet ends the utterance
        started = time.monotonic()
        playing = []
        caller.rtp.setblocking(False)
        returned = np.zeros(160)  # the echo of the IVR's last packet
        for n in range(len(audio) // 320):
            said = np.frombuffer(audio[n * 320:(n + 1) * 320], "<i2") + returned
            frame = encode(said.clip(-32768, 32767).astype("<i2").tobytes(), "PCMU")
            if key is not None and n * 0.02 >= after_s and n * 0.02 < after_s + 0.1:
                # the key is down for 100 ms: one event, one timestamp, the last packet ends it
                end = 0x80 if n * 0.02 + 0.02 >= after_s + 0.1 else 0
                event = bytes([key, end | 10]) + int(800).to_bytes(2, "big")
                caller.rtp.sendto(rtp.header(101, n, int(after_s * 8000), 4242) + event,
                                  ivr_address)
            else:
                caller.rtp.sendto(rtp.header(0, n, n * 160, 4242) + frame, ivr_address)
            time.sleep(max(0.0, started + (n + 1) * 0.02 - time.monotonic()))
            heard = None
            while True:
                try:
                    heard = caller.rtp.recv(2048)
                except BlockingIOError:
                    break
            playing.append(heard is not None and heard[12:].count(SILENT) < 80 if heard
                           else (playing[-1] if playing else False))
            if echo_db is not None and heard is not None:
                returned = np.frombuffer(decode(heard[12:], "PCMU"), "<i2") * 10 ** (echo_db / 20)
        bye = caller.receive(lambda m: m.startswith("BYE"), timeout_s=15)[-1]
        cseq = next(line for line in bye.split("\r\n") if line.startswith("CSeq"))
        assert cseq.endswith("BYE")
        return playing
    finally:
        caller.close()


def test_a_caller_who_says_a_menu_option_over_rtp_takes_its_branch(speech_node):
    # said 1 s into a prompt of several seconds: the speech stops the prompt (barge-in)
    pcm = TextToSpeech().speak_sync("stolen card", "en").pcm  # a synonym of "Lost card"
    playing = call(speech_node, "speech-1@test", pcm)
    assert dispositions(speech_node, "spoken", 1) == ["card"]
    # the prompt (about 9 s) played until the caller spoke, and stopped within 0.5 s of it
    spoke = 50  # frames: the speech starts 1 s in
    assert sum(playing[10:spoke]) > (spoke - 10) / 2, playing[:spoke]  # words and pauses
    assert not any(playing[spoke + 25:]), playing


def test_a_caller_who_says_nothing_is_a_noinput(speech_node):
    call(speech_node, "speech-2@test", b"", after_s=0.1)
    assert dispositions(speech_node, "spoken", 2) == ["card", "nothing"]


def test_keys_answer_a_wait_that_listens_and_a_language_without_a_model_takes_keys(speech_node):
    call(speech_node, "speech-3@test", b"", after_s=1.0, number="spoken_ru", key=2)
    assert dispositions(speech_node, "spoken_ru", 1) == ["card"]
    log = speech_node.log.read_text(errors="replace")
    assert "[speech.models.ru]" in log  # the configuration it needs, said once per wait
    call(speech_node, "speech-4@test", b"", after_s=1.0, key=0)
    assert dispositions(speech_node, "spoken", 3) == ["agent", "card", "nothing"]


def test_the_prompts_own_echo_on_the_line_does_not_barge_in(speech_node):
    # the caller says nothing for 10 s, and the line returns the prompt 10 dB down
    playing = call(speech_node, "speech-5@test", b"", after_s=10.0, echo_db=-10)
    assert sum(playing[100:400]) > 300 / 2, playing  # the prompt went on from 2 s to 8 s
    assert dispositions(speech_node, "spoken", 4) == ["agent", "card", "nothing", "nothing"]


def test_a_caller_still_barges_in_over_the_echo(speech_node):
    pcm = TextToSpeech().speak_sync("stolen card", "en").pcm
    playing = call(speech_node, "speech-6@test", pcm, after_s=1.5, echo_db=-10)
    assert not any(playing[75 + 25:]), playing  # stopped within 0.5 s of the speech
    assert dispositions(speech_node, "spoken", 5) == ["agent", "card", "card", "nothing",
                                                      "nothing"]
