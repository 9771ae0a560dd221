"""Write signed SMS webhook requests for benchmarks/sms.lua: one file per wrk thread.

    python benchmarks/sms_requests.py PREFIX COUNT THREADS SECRET RUN FIRST

Each line of PREFIX-<thread>.txt is `<X-Callwright-Signature>\\t<JSON body>`: the first SMS of a
new contact (numbers +49151 followed by FIRST, FIRST + 1... in eight digits, a message id of its
own), so every request runs a whole turn with the signature checked, the message id claimed and
the session saved. The signatures are made now with runtime.messaging.sign and hold for 300 s:
write them just before the run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from runtime.messaging import sign

# the three texts of benchmarks/chat.lua and of the Node-RED peer's chat.lua
TEXTS = ("what is my balance", "I want to talk to an agent", "hello there")
OURS = "+4930999000"


def main(prefix: str, count: int, threads: int, secret: str, run: str, first: int) -> None:
    """Write `count` signed requests, dealt round-robin into one file per thread."""
    files = [Path(f"{prefix}-{index}.txt").open("w", encoding="utf-8") for index in range(threads)]
    try:
        for number in range(count):
            body = json.dumps({"id": f"bench-{run}-{number}", "from": f"+49151{first + number:08d}",
                               "to": OURS, "text": TEXTS[number % len(TEXTS)]},
                              separators=(",", ":"))
            files[number % threads].write(f"{sign(secret, body.encode())}\t{body}\n")
    finally:
        for file in files:
            file.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5],
         int(sys.argv[6]))
