"""The line backend and its ports, with pyVoIP replaced by fakes of its calls and phones: how
arriving calls are offered and refused, keys and hang-ups, prompts fed to pyVoIP's sender,
recordings, transfer and dialling."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from blocks.sdk import ConfigurationError
from runtime.ports.backends import backend_class, backend_names, configured_backends
from runtime.ports.inbound import UnknownNumber
from runtime.ports.line import Extension, LineBackend
from runtime.ports.line.audio import FRAME_BYTES, SILENCE
from runtime.ports.line.port import LEAD_FRAMES
from runtime.ports.pool import PortPool
from runtime.ports.port import CONNECTED, NULL, OFFERED, CallerHungUp


def on_a_loop(test):
    """Run an async test on a fresh event loop."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        """Run the test's coroutine to its end."""
        return asyncio.run(test(*args, **kwargs))
    return run


class FakeCall:
    """A pyVoIP call as a port sees it; its sender takes one frame every 20 ms of real time."""

    def __init__(self, call_id: str = "c1", called: str = "2001", caller: str = "+4930") -> None:
        """A ringing call with nothing sent or heard yet."""
        self.call_id, self.called, self.caller = call_id, called, caller
        self.status = "ringing"
        self.written: list[bytes] = []
        self.most_queued = 0
        self.flushed = False
        self.heard = b""  # received audio not read yet
        self.forgotten = 0  # how often the port made pyVoIP let go of the audio kept
        self._sent = 0
        self._sending_since: float | None = None

    def pick_up(self) -> bool:
        """Answer, unless the call no longer rings."""
        if self.status != "ringing":
            return False
        self.status = "answered"
        return True

    def refuse(self) -> None:
        """Refuse the ringing call."""
        self.status = "refused"

    def drop(self) -> None:
        """Hang up the answered call."""
        self.status = "dropped"

    def _advance(self) -> None:
        """Count the frames the sender has taken since the first write."""
        if self._sending_since is not None:
            ticks = int((time.monotonic() - self._sending_since) / 0.02)
            self._sent = min(len(self.written), max(self._sent, ticks))

    def write_audio(self, data: bytes) -> None:
        """Queue a frame and note the longest the queue has been."""
        if self._sending_since is None:
            self._sending_since = time.monotonic()
        self.written.append(data)
        self.most_queued = max(self.most_queued, self.queued() // FRAME_BYTES)

    def queued(self) -> int:
        """Return the bytes not sent yet."""
        self._advance()
        return (len(self.written) - self._sent) * FRAME_BYTES

    def flush(self) -> None:
        """Drop what is queued."""
        self.flushed = True
        self._sent = len(self.written)

    def forget(self) -> None:
        """Count a letting go of the audio kept."""
        self.forgotten += 1

    def available(self) -> int:
        """Return the bytes heard and not read."""
        return len(self.heard)

    def take(self, size: int) -> bytes:
        """Read up to `size` bytes heard."""
        taken, self.heard = self.heard[:size], self.heard[size:]
        return taken


class FakePhone:
    """A registered extension: it dials by handing out the calls it is given."""

    def __init__(self, server, account, events, loop, *, number: str = "") -> None:
        """An extension not registered yet, with no calls to dial."""
        self.user, self.number, self.account = account.user, number, account
        self.registered = False
        self.to_dial: list[FakeCall] = []

    def register(self, timeout_s: float) -> None:
        """Be registered at once."""
        self.registered = True

    def unregister(self) -> None:
        """Be unregistered."""
        self.registered = False

    def dial(self, number: str) -> FakeCall:
        """Hand out the next call given to dial."""
        return self.to_dial.pop(0)


FAKE_PYVOIP = SimpleNamespace(Account=lambda *fields: SimpleNamespace(
    user=fields[0], local_port=fields[3], rtp_low=fields[4], rtp_high=fields[5]),
    LinePhone=FakePhone)


class Prompts:
    """Every prompt is 0.2 s of a loud square wave."""

    async def prompt(self, spec: dict, language: str = "en") -> SimpleNamespace:
        """Return the square wave."""
        samples = np.tile(np.array([8000, -8000], dtype="<i2"), 800)
        return SimpleNamespace(pcm=samples.tobytes())


class Inbound:
    """Offers calls to a pool of the backend's ports, routing only `routed` numbers."""

    def __init__(self, ports, routed: set[str]) -> None:
        """A router over the ports, with nothing offered yet."""
        self.pool = PortPool(ports)
        self.routed = routed
        self.offered: list[str] = []
        self.connected: list = []

    def offer(self, call):
        """Return a free port for a routed number; raise UnknownNumber for another."""
        self.offered.append(call.called)
        if call.called not in self.routed:
            raise UnknownNumber(call.called)
        return self.pool.acquire()

    def refused(self, port) -> None:
        """Take back a port."""
        self.pool.release(port)

    def connect(self, port):
        """Note the port handed over."""
        self.connected.append(port)


async def started(routed=("2001", "keys"), *extensions: Extension) -> tuple[LineBackend, Inbound]:
    """A backend of fake phones, started."""
    backend = LineBackend("127.0.0.1:5060", extensions or (Extension("2001"),
                                                           Extension("2002", number="keys")),
                          prompts=Prompts(), rtp_ports=(30000, 30009))
    backend.phone_module = FAKE_PYVOIP
    inbound = Inbound(backend.ports, set(routed))
    await backend.start(inbound)
    return backend, inbound


def ring(backend: LineBackend, user: str, call: FakeCall) -> threading.Event:
    """Ring a call on an extension as pyVoIP's thread would, and return its `done`."""
    done = threading.Event()
    backend.arrived(backend._phones[user], call, done)
    return done


@on_a_loop
async def test_extensions_share_the_rtp_ports_and_each_has_a_port():
    backend, _ = await started()
    phones = backend._phones
    assert [(p.account.rtp_low, p.account.rtp_high) for p in phones.values()] == \
        [(30000, 30004), (30005, 30009)]
    assert all(p.registered for p in phones.values())
    assert [p.id for p in backend.ports] == ["line1", "line2"]
    await backend.stop()
    assert not any(p.registered for p in phones.values())


@on_a_loop
async def test_a_call_is_offered_by_the_number_dialled_or_the_extensions_own():
    backend, inbound = await started()
    first, second = FakeCall("c1", called="2001"), FakeCall("c2", called="2002")
    ring(backend, "2001", first)
    ring(backend, "2002", second)
    assert inbound.offered == ["2001", "keys"]
    assert [p.state for p in inbound.connected] == [OFFERED, OFFERED]
    assert inbound.connected[0].call.caller == "+4930"


@on_a_loop
async def test_a_call_no_flow_is_routed_for_is_refused_and_its_thread_let_go():
    backend, inbound = await started(routed=())
    call = FakeCall()
    done = ring(backend, "2001", call)
    assert call.status == "refused" and done.is_set()
    assert inbound.connected == []


@on_a_loop
async def test_a_second_call_on_a_busy_extension_is_refused_without_being_offered():
    backend, inbound = await started()
    ring(backend, "2001", FakeCall("c1"))
    second = FakeCall("c2")
    done = ring(backend, "2001", second)
    assert second.status == "refused" and done.is_set()
    assert inbound.offered == ["2001"]


@on_a_loop
async def test_keys_and_the_callers_bye_reach_the_port_and_hangup_frees_the_extension():
    backend, inbound = await started()
    call = FakeCall("c1")
    done = ring(backend, "2001", call)
    port = inbound.connected[0]
    await port.answer()
    assert port.state == CONNECTED and call.status == "answered"
    backend.pressed("c1", "4")
    backend.pressed("c1", "2")
    backend.pressed("other", "9")  # another call's key
    assert await port.get_digits(3, timeout_s=0.2, inter_digit_s=0.1) == "42"
    backend.ended("c1")
    with pytest.raises(CallerHungUp):
        await port.get_digits(1, timeout_s=1, inter_digit_s=1)
    await port.hangup()
    assert call.status == "answered"  # the caller's BYE ended it: no BYE of ours
    assert port.state == NULL and done.is_set()
    again = FakeCall("c3")
    ring(backend, "2001", again)  # the extension takes calls again
    assert again.status == "ringing"


@on_a_loop
async def test_hanging_up_a_connected_call_sends_bye_and_a_ringing_one_is_refused():
    backend, inbound = await started()
    answered, ringing = FakeCall("c1"), FakeCall("c2", called="2002")
    ring(backend, "2001", answered)
    ring(backend, "2002", ringing)
    first, second = inbound.connected
    await first.answer()
    await first.hangup()
    await second.hangup()
    assert (answered.status, ringing.status) == ("dropped", "refused")


async def connected(backend: LineBackend, inbound: Inbound, call: FakeCall):
    """Ring and answer a call on 2001; return its port."""
    ring(backend, "2001", call)
    port = inbound.connected[-1]
    await port.answer()
    return port


@on_a_loop
async def test_a_prompt_goes_to_pyvoip_as_8_bit_frames_a_few_ahead_of_its_sender():
    backend, inbound = await started()
    call = FakeCall()
    port = await connected(backend, inbound, call)
    began = time.monotonic()
    await port.play({"text": "hello"})
    took = time.monotonic() - began
    assert len(call.written) == 10  # 0.2 s: ten 20 ms frames
    assert set(b"".join(call.written)) == {128 + (8000 >> 8), 128 + (-8000 >> 8)}
    assert call.most_queued <= LEAD_FRAMES
    assert 0.15 < took < 1.0  # as long as the prompt, give or take the loop's ticks
    assert not call.flushed


@on_a_loop
async def test_a_key_stops_the_prompt_and_what_was_queued_is_dropped():
    backend, inbound = await started()
    call = FakeCall()
    port = await connected(backend, inbound, call)
    asyncio.get_running_loop().call_later(0.05, backend.pressed, call.call_id, "1")
    await port.play({"text": "hello"})
    assert len(call.written) < 10 and call.flushed
    assert await port.get_digits(1, timeout_s=0.1, inter_digit_s=0.1) == "1"


@on_a_loop
async def test_a_recording_is_what_was_heard_after_it_started_as_16_bit_pcm():
    backend, inbound = await started()
    call = FakeCall()
    port = await connected(backend, inbound, call)
    call.heard = bytes([SILENCE]) * 800  # heard before: not recorded
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, lambda: setattr(call, "heard", call.heard + bytes([192]) * 400))
    recording = await port.record(0.2)
    assert 0.15 < recording.seconds <= 0.2
    assert recording.audio == np.full(400, 64 << 8, dtype="<i2").tobytes()


@on_a_loop
async def test_pyvoip_lets_go_of_a_calls_audio_except_while_it_is_recorded():
    backend, inbound = await started()
    call = FakeCall()
    port = await connected(backend, inbound, call)
    port.trim()
    assert call.forgotten == 1
    recording = asyncio.ensure_future(port.record(0.1))
    await asyncio.sleep(0.02)
    port.trim()  # the recording reads what pyVoIP holds: it is kept
    await recording
    assert call.forgotten == 1


@on_a_loop
async def test_transfer_fails_as_pyvoip_cannot_transfer_and_the_call_stays():
    backend, inbound = await started()
    port = await connected(backend, inbound, FakeCall())
    assert await port.transfer({"number": "100"}) == "failed"
    assert port.state == CONNECTED


@on_a_loop
async def test_dialling_goes_out_from_an_idle_extension():
    backend, _ = await started()
    call = FakeCall("out1")
    call.status = "answered"
    backend._phones["2001"].to_dial.append(call)
    port = backend.ports[0]
    assert await port.dial("+4930111", timeout_s=1) == "answered"
    assert port.state == CONNECTED and port.extension == "2001"
    backend.pressed("out1", "5")  # its keys reach the port like an inbound call's
    assert await port.get_digits(1, timeout_s=0.1, inter_digit_s=0.1) == "5"


@on_a_loop
async def test_a_dialled_call_that_rings_on_is_noanswer_and_one_ended_failed():
    backend, _ = await started((), Extension("2001"))
    ringing, refused = FakeCall("o1"), FakeCall("o2")
    ringing.status = "dialing"
    refused.status = "ended"  # pyVoIP ends a call answered 404 or 503
    backend._phones["2001"].to_dial += [ringing, refused]
    port = backend.ports[0]
    assert await port.dial("100", timeout_s=0.2) == "noanswer"
    assert port.state == NULL and port.call.ended_by == "noanswer"
    assert await port.dial("101", timeout_s=1) == "failed"
    backend._busy.add("2001")
    assert await port.dial("102", timeout_s=1) == "failed"  # no idle extension


@on_a_loop
async def test_a_dial_hung_up_before_the_answer_drops_the_call_and_frees_the_extension():
    backend, _ = await started((), Extension("2001"))
    late = FakeCall("o1")
    late.status = "dialing"
    backend._phones["2001"].to_dial.append(late)
    port = backend.ports[0]
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, lambda: asyncio.ensure_future(port.hangup()))
    loop.call_later(0.15, setattr, late, "status", "answered")
    assert await port.dial("100", timeout_s=1) == "failed"
    assert late.status == "dropped" and port.state == NULL
    again = FakeCall("o2")
    again.status = "answered"
    backend._phones["2001"].to_dial.append(again)
    assert await port.dial("101", timeout_s=1) == "answered"  # the extension is free again


def test_the_line_backend_is_built_in_and_configured_by_name(tmp_path):
    assert "line" in backend_names() and backend_class("line") is LineBackend
    settings = {"ports": {"backends": ["line"]},
                "line": {"server": "pbx.example.com", "local_host": "10.0.0.5",
                         "rtp_ports": [20000, 20099], "register_timeout_s": 3,
                         "extensions": [{"user": "2001", "password": "x", "number": "sales",
                                         "local_port": 5070}]}}
    [backend] = configured_backends(settings, tmp_path)
    assert (backend.server, backend.local_host, backend.rtp_ports, backend.register_timeout_s) \
        == (("pbx.example.com", 5060), "10.0.0.5", (20000, 20099), 3)
    assert backend.extensions == [Extension("2001", "x", "sales", 5070)]
    assert backend.address == "sip:2001@pbx.example.com:5060"


def test_settings_without_server_or_extensions_are_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match=r"\[line\] server and \[line\] extensions"):
        LineBackend.from_settings({"line": {"server": "pbx:5060"}}, tmp_path)


def test_a_password_may_come_from_the_environment_and_must_be_there(tmp_path, monkeypatch):
    settings = {"line": {"server": "pbx", "extensions": [{"user": "7", "password_env": "PBX7"}]}}
    monkeypatch.setenv("PBX7", "s3cret")
    assert LineBackend.from_settings(settings, tmp_path).extensions[0].password == "s3cret"
    monkeypatch.delenv("PBX7")
    with pytest.raises(ConfigurationError, match="password_env PBX7 is not set"):
        LineBackend.from_settings(settings, tmp_path)


def test_an_rtp_range_smaller_than_the_extensions_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="cannot give each of the 2 extensions"):
        LineBackend("pbx", [Extension("1"), Extension("2")], prompts=Prompts(),
                    rtp_ports=(40000, 40000))


def test_without_pyvoip_the_backend_says_what_to_install():
    code = ("import sys; sys.modules['pyVoIP'] = None\n"
            "from runtime.ports.line import LineBackend\n"
            "from blocks.sdk import ConfigurationError\n"
            "try:\n"
            "    LineBackend.from_settings({'line': {'server': 'pbx', 'extensions': "
            "[{'user': '1'}]}}, None)\n"
            "except ConfigurationError as exc:\n"
            "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "pip install callwright[pyvoip]" in done.stdout, done.stderr
