"""The emulator board: Global Call-style states and events, and line timing on its clock."""

from __future__ import annotations

import asyncio

import pytest

from runtime.ports import CallerHungUp, Clock, PortError
from runtime.ports.emulator import CallerMix, CallerScript, EmulatorBoard, Timing, parse_holding

SPEED = 20  # fast enough for a quick suite, slow enough that the loop's own lag stays small
TEN_WORDS = {"text": "one two three four five six seven eight nine ten"}  # 4 s at 150 wpm


def board(*scripts: CallerScript, speed: float = SPEED, **options) -> EmulatorBoard:
    """Return a one-board, two-channel emulator whose calls follow `scripts` in turn."""
    return EmulatorBoard(1, 2, clock=Clock(speed), callers=CallerMix(scripts or (CallerScript(),)),
                         **options)


def on_call(emulator: EmulatorBoard, scenario):
    """Ring a call on the first port, answer it, run `scenario(port, clock)`; return its result."""
    async def run():
        port = emulator.ports[0]
        emulator.offer(port)
        await port.answer()
        return await scenario(port, emulator.clock)
    return asyncio.run(run())


async def timed(clock: Clock, awaitable):
    """Return (result, virtual seconds it took)."""
    started = clock.now()
    result = await awaitable
    return result, clock.now() - started


def test_ports_are_named_by_board_and_channel():
    assert [p.id for p in EmulatorBoard(2, 3).ports] == ["b1c1", "b1c2", "b1c3",
                                                         "b2c1", "b2c2", "b2c3"]
    many = EmulatorBoard.with_ports(2000)
    assert len(many.ports) >= 2000 and many.ports[29].id == "b1c30" and many.ports[30].id == "b2c1"


def test_a_text_prompt_takes_its_words_at_150_a_minute_and_a_recording_its_duration():
    emulator = EmulatorBoard(1, 1, audio={"hours_en": 3.5})
    assert emulator.prompt_seconds(TEN_WORDS) == pytest.approx(4.0)
    assert emulator.prompt_seconds({"text": "Hi."}) == Timing().min_prompt_s
    assert emulator.prompt_seconds({"text": ""}) == 0.0
    assert emulator.prompt_seconds({"tone": 1000, "duration_s": 0.25}) == 0.25
    assert emulator.prompt_seconds({"audio": "hours_en"}) == 3.5
    assert emulator.prompt_seconds({"audio": "other", "duration_s": 7}) == 7
    assert emulator.prompt_seconds({"audio": "unknown"}) == Timing().audio_s


def test_an_inbound_call_goes_offered_accepted_connected_then_null_and_tells_listeners():
    emulator = board()
    port = emulator.ports[0]
    heard: list[tuple[str, str]] = []
    port.subscribe(lambda event: heard.append((event.name, port.state)))

    async def run() -> list[str]:
        states = []
        emulator.offer(port)
        states.append(port.state)
        answering = asyncio.create_task(port.answer())
        await asyncio.sleep(0)
        states.append(port.state)
        await answering
        states.append(port.state)
        await port.hangup()
        states.append(port.state)
        return states

    assert asyncio.run(run()) == ["offered", "accepted", "connected", "null"]
    assert heard == [("offered", "offered"), ("answered", "connected"), ("disconnected", "idle")]
    assert port.call.ended_by == "us" and port.call.answered_at >= Timing().answer_s


def test_a_prompt_plays_for_its_duration_on_the_boards_clock():
    async def scenario(port, clock):
        return await timed(clock, port.play(TEN_WORDS))
    _, seconds = on_call(board(), scenario)
    assert 4.0 <= seconds < 6.0


def test_get_digits_with_no_input_returns_nothing_after_the_timeout():
    async def scenario(port, clock):
        return await timed(clock, port.get_digits(4, timeout_s=5, inter_digit_s=2))
    keys, seconds = on_call(board(CallerScript(then="silence")), scenario)
    assert keys == "" and 5.0 <= seconds < 7.0


def test_get_digits_collects_the_callers_keys_up_to_the_terminator():
    script = CallerScript(actions=({"digits": "1234#5", "gap_s": 0.2},))

    async def scenario(port, clock):
        return await timed(clock, port.get_digits(8, timeout_s=5, inter_digit_s=2))
    keys, seconds = on_call(board(script), scenario)
    assert keys == "1234#" and 1.8 <= seconds < 3.5  # 1 s to think, 4 gaps of 0.2 s


def test_get_digits_stops_at_max_digits_and_after_an_inter_digit_pause():
    script = CallerScript(actions=({"digits": "12"}, {"digits": "987654"}))

    async def scenario(port, clock):
        first, seconds = await timed(clock, port.get_digits(8, timeout_s=5, inter_digit_s=2))
        second = await port.get_digits(3, timeout_s=5, inter_digit_s=2)
        return first, seconds, second
    first, seconds, second = on_call(board(script), scenario)
    assert first == "12" and seconds >= 1.3 + 2.0  # the last key, then the inter-digit wait
    assert second == "987"


def test_a_key_pressed_during_a_prompt_stops_it_and_is_kept_for_get_digits():
    script = CallerScript(actions=({"digits": "0", "during_s": 1.0},))
    menu = {**TEN_WORDS, "input": {"kind": "choice", "keys": ["1", "0"]}}

    async def scenario(port, clock):
        _, played = await timed(clock, port.play(menu))
        keys, waited = await timed(clock, port.get_digits(1, timeout_s=5, inter_digit_s=2))
        return played, keys, waited
    played, keys, waited = on_call(board(script), scenario)
    assert 1.0 <= played < 3.0 and keys == "0" and waited < 0.5


def test_a_prompt_without_barge_in_plays_to_its_end_despite_keys():
    script = CallerScript(actions=({"digits": "5", "during_s": 0.5},))

    async def scenario(port, clock):
        prompt = {**TEN_WORDS, "barge_in": False, "input": {"kind": "digits"}}
        _, played = await timed(clock, port.play(prompt))
        return played, await port.get_digits(1, timeout_s=1, inter_digit_s=1)
    played, keys = on_call(board(script), scenario)
    assert played >= 4.0 and keys == "5"


def test_a_caller_hanging_up_during_a_prompt_stops_it_with_caller_hung_up():
    script = CallerScript(actions=({"hangup": True, "during_s": 1.0},))
    events: list[str] = []

    async def scenario(port, clock):
        port.subscribe(lambda event: events.append(event.name))
        started = clock.now()
        with pytest.raises(CallerHungUp):
            await port.play({**TEN_WORDS, "input": {"kind": "digits"}})
        stopped_after = clock.now() - started
        with pytest.raises(CallerHungUp):
            await port.get_digits(1, timeout_s=1, inter_digit_s=1)
        state = port.state
        await port.hangup()
        return stopped_after, state, port.call.ended_by, port.state
    stopped_after, state, ended_by, after = on_call(board(script), scenario)
    assert 1.0 <= stopped_after < 3.0 and state == "disconnected" and ended_by == "caller"
    assert after == "null" and events == ["disconnected"]


def test_a_caller_who_hangs_up_before_the_answer_makes_answer_raise():
    emulator = board(CallerScript(hangup_after_s=0.1))

    async def run():
        port = emulator.ports[0]
        emulator.offer(port)
        with pytest.raises(CallerHungUp):
            await port.answer()
        return port.state

    assert asyncio.run(run()) == "disconnected"


@pytest.mark.parametrize("outcome, state", [("connected", "disconnected"), ("busy", "connected"),
                                            ("noanswer", "connected"), ("failed", "connected")])
def test_a_transfer_ends_as_the_callers_script_says(outcome, state):
    async def scenario(port, clock):
        result = await port.transfer({"queue": "support"}, timeout_s=3)
        return result, port.state
    assert on_call(board(CallerScript(transfer=outcome)), scenario) == (outcome, state)


def test_record_takes_what_the_caller_says_and_silence_gives_nothing():
    script = CallerScript(actions=({"speak_s": 3},))

    async def scenario(port, clock):
        spoken, seconds = await timed(clock, port.record(max_s=10))
        silent = await port.record(max_s=2)
        return spoken.seconds, seconds, silent.seconds
    spoken, seconds, silent = on_call(board(script), scenario)
    assert spoken == pytest.approx(3, abs=0.3) and seconds >= 4.0 and silent == 0.0


@pytest.mark.parametrize("script, result, state", [
    (CallerScript(answer_after_s=2), "answered", "connected"),
    (CallerScript(answer="busy"), "busy", "null"),
    (CallerScript(answer_after_s=60), "noanswer", "null"),
    (CallerScript(answer="failed"), "failed", "null")])
def test_dialling_out_rings_the_callee_who_answers_as_scripted(script, result, state):
    emulator = board(script)

    async def run():
        port = emulator.ports[1]
        return await port.dial("+4930111222", timeout_s=5, caller_id="+4930000"), port

    outcome, port = asyncio.run(run())
    assert (outcome, port.state) == (result, state)
    assert port.call.direction == "outbound" and port.call.called == "+4930111222"


def test_a_port_carries_one_call_at_a_time():
    emulator = board()
    port = emulator.ports[0]
    emulator.offer(port)
    with pytest.raises(PortError, match="busy"):
        emulator.offer(port)


def test_playing_on_a_port_with_no_call_is_refused():
    port = board().ports[0]
    with pytest.raises(PortError, match="state 'null'"):
        asyncio.run(port.play(TEN_WORDS))


def test_with_a_holding_time_each_offered_caller_hangs_up_when_it_is_drawn():
    emulator = board(CallerScript(transfer="noanswer"), holding=parse_holding("fixed:3"))

    async def scenario(port, clock):
        with pytest.raises(CallerHungUp):
            await port.transfer({"queue": "sales"}, timeout_s=600)  # waiting in the queue
        return clock.now() - port.call.offered_at, port.call.ended_by

    held, ended_by = on_call(emulator, scenario)
    assert 3.0 <= held < 3.5 and ended_by == "caller"


def test_a_board_that_measures_counts_how_late_each_wait_ended_in_real_time():
    emulator = board(CallerScript(actions=({"digits": "12#"},)), measure_latency=True)

    async def scenario(port, clock):
        await port.play({"text": "Your account number?", "input": {"kind": "digits"}})
        return await port.get_digits(8, timeout_s=5, inter_digit_s=3)

    assert on_call(emulator, scenario) == "12#"
    summary = emulator.latency.summary()
    # the answer, the prompt's end, and the three keys the caller pressed
    assert summary["events"] == 5 and 0 <= summary["p50"] <= summary["max"] < 200
    assert board().latency is None  # measuring is asked for: a virtual clock is never late
