"""A pyVoIP softphone for the tests, run as its own process: it registers, calls a number, listens,
presses a key and waits for the far end to hang up, then prints what it heard as one JSON object.

    python softphone.py --registrar 127.0.0.1:5060 --user 3001 --call keys --press 2 \\
        --sip-port 40000 --rtp-port 40002

pyVoIP 1.6.8 sends no DTMF of its own: the key goes as RFC 4733 telephone-events from the call's
own RTP socket, as a phone would send them. Every wait is bounded; the process ends with
os._exit so that none of pyVoIP's threads can keep it alive.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pyVoIP imports audioop
    from pyVoIP import RTP
    from pyVoIP.VoIP import CallState, VoIPPhone
    from pyVoIP.VoIP.status import PhoneStatus

KEYS = "0123456789*#ABCD"
REGISTER_S = 10.0
ANSWER_S = 15.0


def wait_for(predicate, seconds: float) -> bool:
    """Poll `predicate` every 20 ms for up to `seconds`; return whether it came true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def rms(audio: bytes) -> float:
    """Return the RMS of 8-bit unsigned audio, on the 16-bit scale (full scale 32768)."""
    if not audio:
        return 0.0
    return math.sqrt(sum(((b - 128) * 256) ** 2 for b in audio) / len(audio))


def press(client: RTP.RTPClient, key: str) -> None:
    """Send a key as RFC 4733 events from the call's RTP socket: three updates, three ends."""
    event_pt = next(pt for pt, kind in client.assoc.items() if kind == RTP.PayloadType.EVENT)
    ssrc, sequence, timestamp = random.getrandbits(32), random.getrandbits(16), \
        random.getrandbits(32)
    for n, end in enumerate((False, False, False, True, True, True)):
        duration = 160 * min(n + 1, 4)
        header = struct.pack("!BBHII", 0x80, (0x80 if n == 0 else 0) | event_pt,
                             (sequence + n) & 0xFFFF, timestamp, ssrc)
        payload = struct.pack("!BBH", KEYS.index(key), (0x80 if end else 0) | 10, duration)
        client.sout.sendto(header + payload, (client.outIP, client.outPort))
        time.sleep(0.02)


def main() -> int:
    """Run one call and print `{"registered", "answered", "rms", "ended"}` as JSON."""
    options = argparse.ArgumentParser()
    options.add_argument("--registrar", required=True)
    options.add_argument("--user", required=True)
    options.add_argument("--call", required=True)
    options.add_argument("--press", default="")
    options.add_argument("--listen-s", type=float, default=2.0)
    options.add_argument("--end-s", type=float, default=15.0)
    options.add_argument("--sip-port", type=int, required=True)
    options.add_argument("--rtp-port", type=int, required=True)
    args = options.parse_args()
    host, port = args.registrar.rsplit(":", 1)
    phone = VoIPPhone(host, int(port), args.user, "", myIP="127.0.0.1", sipPort=args.sip_port,
                      rtpPortLow=args.rtp_port, rtpPortHigh=args.rtp_port)
    phone.sip.register_timeout = 5
    result = {"registered": False, "answered": False, "rms": 0.0, "ended": False}
    try:
        phone.start()
        result["registered"] = wait_for(
            lambda: phone.get_status() == PhoneStatus.REGISTERED, REGISTER_S)
        if result["registered"]:
            call = phone.call(args.call)
            result["answered"] = wait_for(lambda: call.state == CallState.ANSWERED, ANSWER_S)
            if result["answered"]:
                time.sleep(args.listen_s)  # the prompt plays meanwhile
                heard = call.read_audio(int(args.listen_s * 8000), blocking=False)
                result["rms"] = round(rms(heard), 1)
                if args.press:
                    press(call.RTPClients[0], args.press)
                result["ended"] = wait_for(lambda: call.state == CallState.ENDED, args.end_s)
    finally:
        print(json.dumps(result), flush=True)
        sys.stdout.flush()
        try:
            phone.stop()
        finally:
            os._exit(0)
    return 0


if __name__ == "__main__":
    main()
