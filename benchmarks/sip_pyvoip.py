"""The IVR of benchmarks/sip.py on pyVoIP 1.6.8: registers to Kamailio as `bench`, answers calls.

    python sip_pyvoip.py SPEC.json        # in pyVoIP's scratch venv, started by benchmarks/sip.py

pyVoIP is GPL-3.0: this file runs only in the benchmark's scratch venv and the product never
imports it. SPEC.json names the registrar, the SIP and RTP ports, the prompts (the product's TTS
of the same texts, as 8-bit unsigned 8 kHz audio, what pyVoIP's `write_audio` takes) and the
menus. Every call hears the welcome, the first menu, the second menu of its branch and the
goodbye, and is hung up; its disposition (the same names as the Callwright flow's) goes to the
ends file, one line a call. Prints `ready` once registered; stops on SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

from pyVoIP.VoIP import CallState, InvalidStateError, VoIPCall, VoIPPhone

POLL_S = 0.05  # how often a waiting call looks for a key or a hang-up


class CallerGone(Exception):
    """The caller hung up (pyVoIP's state left ANSWERED)."""


class Ivr:
    """The benchmark's IVR: prompts and menus of SPEC.json, ends written as they happen."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        folder = Path(spec["prompts"])
        self.audio = {name: (folder / f"{name}.u8").read_bytes() for name in spec["names"]}
        self.ends = open(spec["ends"], "a", buffering=1)  # noqa: SIM115  (kept for the run)
        self.lock = threading.Lock()

    def answer(self, call: VoIPCall) -> None:
        """Run one call (pyVoIP's callback, on a thread of its own)."""
        try:
            call.answer()
            end = self.menus(call)
            self.play(call, "goodbye")
            call.hangup()
        except (CallerGone, InvalidStateError):
            end = "hangup"
        except Exception as exc:  # a benchmark records every way a call can fail
            end = f"error_{type(exc).__name__}"
        with self.lock:
            self.ends.write(end + "\n")

    def menus(self, call: VoIPCall) -> str:
        """Play the welcome and both menus; return the disposition the keys chose."""
        self.play(call, "welcome")
        first = self.ask(call, "menu", set(self.spec["second"]))
        if first is None:
            return "no_first_key"
        prompt, ends = self.spec["second"][first]
        second = self.ask(call, prompt, set(ends))
        return "no_second_key" if second is None else ends[second]

    def ask(self, call: VoIPCall, prompt: str, keys: set[str]) -> str | None:
        """Play a menu's prompt and wait for one of its keys, twice at most; None if none."""
        for _ in range(self.spec["attempts"]):
            key = self.play(call, prompt) or self.key(call, self.spec["timeout_s"])
            if key in keys:
                return key
        return None

    def play(self, call: VoIPCall, name: str) -> str | None:
        """Play a prompt to its end; return a key pressed meanwhile (type-ahead), if any."""
        audio = self.audio[name]
        call.write_audio(audio)  # pyVoIP queues it; its RTP thread sends it
        return self.key(call, len(audio) / 8000, keep_waiting=True)

    @staticmethod
    def key(call: VoIPCall, seconds: float, keep_waiting: bool = False) -> str | None:
        """Wait up to `seconds` for a key (or, keep_waiting, the whole time); return it."""
        found = None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if call.state != CallState.ANSWERED:
                raise CallerGone
            pressed = call.get_dtmf(1)
            if pressed and found is None:
                found = pressed
                if not keep_waiting:
                    return found
            time.sleep(POLL_S)
        return found


def main() -> None:
    """Register, answer calls until SIGTERM, deregister."""
    spec = json.loads(Path(sys.argv[1]).read_text())
    ivr = Ivr(spec)
    phone = VoIPPhone("127.0.0.1", spec["registrar_port"], "bench", "bench", myIP="127.0.0.1",
                      callCallback=ivr.answer, sipPort=spec["sip_port"],
                      rtpPortLow=spec["rtp_low"], rtpPortHigh=spec["rtp_high"])
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    phone.start()  # registers, or raises after its tries
    print("ready", flush=True)
    stopping.wait()
    phone.stop()


if __name__ == "__main__":
    main()
