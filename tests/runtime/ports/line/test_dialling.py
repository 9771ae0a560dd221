"""Calls placed from a line extension through Kamailio, in this process: the backend registers,
dials a sipp answering as a registered user, and hangs up; a number nobody registered fails."""

from __future__ import annotations

import asyncio
import subprocess
import time

from needs import program

from runtime.ports.line import Extension, LineBackend
from runtime.ports.port import CONNECTED, NULL

from .conftest import Registrar, free_udp_port, register


class Unused:
    """Placing calls plays nothing and takes no inbound calls."""

    async def prompt(self, spec: dict, language: str = "en") -> None:
        """Never asked."""
        raise AssertionError("no prompt is played")

    def offer(self, call):
        """Never asked: nobody calls the extension."""
        raise AssertionError("no call was expected")


async def dial(registrar: Registrar, number: str) -> tuple[str, str]:
    """Register extension 2005, dial `number` from it, hang up; return the outcome and state."""
    rtp = free_udp_port()
    backend = LineBackend(f"127.0.0.1:{registrar.port}", [Extension("2005")], prompts=Unused(),
                          rtp_ports=(rtp, rtp + 1), register_timeout_s=5)
    await backend.start(Unused())
    try:
        port = backend.ports[0]
        outcome = await port.dial(number, timeout_s=10)
        state = port.state
        await port.hangup()
        assert port.state == NULL
        return outcome, state
    finally:
        await backend.stop()


def test_a_call_placed_through_the_registrar_is_answered_and_hung_up(kamailio):
    sipp = program("sipp", "sip-tester")
    port = free_udp_port()
    with subprocess.Popen([sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-m", "1",
                           "-nostdin", "-timeout", "30s", "-timeout_error"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as callee:
        try:
            time.sleep(0.3)  # sipp binds its socket
            register(kamailio, "4001", port)
            assert asyncio.run(dial(kamailio, "4001")) == ("answered", CONNECTED)
            assert callee.wait(30) == 0, callee.stderr.read()  # it saw our ACK and BYE
        finally:
            if callee.poll() is None:
                callee.kill()


def test_a_number_nobody_registered_fails(kamailio):
    assert asyncio.run(dial(kamailio, "4999")) == ("failed", NULL)
