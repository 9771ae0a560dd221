"""Kamailio on loopback as the registrar and stateless proxy that pyVoIP needs to answer calls.

pyVoIP answers only after it has registered, and sends every request and reply to its server,
never to the caller: so callers reach it through a registrar that also relays what follows.
The configuration keeps just that: REGISTER is saved in memory; a request for a user of this
host is sent to where that user registered; anything else (an ACK or BYE whose Request-URI names
the far end) is forwarded as it is; replies follow their Via. Stateless, so Kamailio adds no
retransmissions of its own to either side.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from processes import stop

MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
START_TIMEOUT_S = 15.0
CONFIG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children={children}
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias="127.0.0.1:{port}"
mpath="{modules}"
loadmodule "sl.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "maxfwd.so"
modparam("usrloc", "db_mode", 0)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (method == "REGISTER") {{
        save("location");
        exit;
    }}
    if (uri == myself) {{
        if (!lookup("location")) {{
            sl_send_reply("404", "Not Found");
            exit;
        }}
    }}
    forward();
}}
"""


class Registrar:
    """A Kamailio this benchmark started, listening on 127.0.0.1:`port`."""

    def __init__(self, folder: Path, port: int, children: int = 2) -> None:
        program = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin")
        if program is None:
            raise RuntimeError("kamailio is not installed (Debian: apt-get install kamailio)")
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "kamailio.cfg"
        config.write_text(CONFIG.format(port=port, children=children, modules=MODULES))
        self.port = port
        self.log = folder / "kamailio.log"
        with self.log.open("wb") as out:
            # -DD: stay in the foreground (its PID is the one stopped), workers forked below it
            self.process = subprocess.Popen(
                [program, "-DD", "-E", "-f", str(config), "-Y", str(folder), "-m", "128",
                 "-M", "16"], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kamailio did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def _listening(self) -> bool:
        """Return whether a UDP socket is bound to our port (from /proc/net/udp)."""
        wanted = f"0100007F:{self.port:04X}"
        return any(line.split()[1] == wanted
                   for line in Path("/proc/net/udp").read_text().splitlines()[1:])

    def stop(self) -> None:
        """Stop Kamailio by the PID we started (its workers go with it)."""
        stop(self.process, 10)
