"""A real registrar for line calls: Kamailio on a free loopback port, its own instance per module.

Kamailio runs with a configuration written here: registrar and location in memory (no
database; digest authentication, MD5 as pyVoIP does it, for the users of `PASSWORDS` only), and
a proxy that sends a call for a registered user to where it
registered, and any other request where its Request-URI points. pyVoIP sends every request and
reply to its registrar, so that proxy carries all of a call's signalling.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest
from calls import KEYS_FLOW, free_udp_port
from calls import dispositions as ended_as
from needs import program
from serving import callwright_command, stop

PASSWORDS = {"2002": "s3cret"}  # users the registrar asks for a password
SOFTPHONE = Path(__file__).parent / "softphone.py"
HEARD_RMS = 300.0  # -40 dBFS: espeak-ng's speech is far louder, silence is 0
START_TIMEOUT_S = 10.0
VOICE_START_TIMEOUT_S = 60.0

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias=127.0.0.1:{port}
# pyVoIP names its registrar without a port (sip:127.0.0.1): that is this proxy too
alias=127.0.0.1:5060
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)

request_route {{
    xlog("L_INFO", "$rm $ru from $si:$sp\\n");
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("REGISTER")) {{
        {authenticate}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    # a request for a user here (a new call, or pyVoIP's ACK, sent to the To URI) goes where
    # the user registered; anything else where its Request-URI points
    if (uri == myself) {{
        if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    }}
    t_relay();
}}
"""


class Registrar(NamedTuple):
    """A running Kamailio and where it listens."""

    process: subprocess.Popen
    port: int
    log: Path


class Node(NamedTuple):
    """A running `callwright voice` and its workspace."""

    process: subprocess.Popen
    workspace: Path
    log: Path
    banner: str


def ask(port: int, request: str, timeout_s: float = 1.0) -> str | None:
    """Send one SIP request over UDP from a fresh socket; return the first line of the answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        own = sock.getsockname()[1]
        sock.settimeout(timeout_s)
        sock.sendto(request.replace("{own}", str(own)).encode(), ("127.0.0.1", port))
        try:
            return sock.recv(65536).split(b"\r\n", 1)[0].decode()
        except TimeoutError:
            return None


def options(port: int) -> str:
    """An OPTIONS request to the proxy itself (`{own}` is the sender's port)."""
    tag = uuid.uuid4().hex[:12]
    return (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{{own}};branch=z9hG4bK{tag}\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={tag}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: {tag}@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n")


def register(registrar: Registrar, user: str, contact_port: int) -> None:
    """Register `user` at `sip:user@127.0.0.1:contact_port` (a third party's registration)."""
    tag = uuid.uuid4().hex[:12]
    request = (f"REGISTER sip:127.0.0.1:{registrar.port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{{own}};branch=z9hG4bK{tag}\r\n"
               f"From: <sip:{user}@127.0.0.1>;tag={tag}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
               f"Call-ID: {tag}@registering\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
               f"Contact: <sip:{user}@127.0.0.1:{contact_port}>\r\nExpires: 600\r\n"
               f"Content-Length: 0\r\n\r\n")
    answer = ask(registrar.port, request, timeout_s=5.0)
    assert answer == "SIP/2.0 200 OK", answer


def modules() -> Path:
    """Return the folder of Kamailio's modules (Debian puts it under the architecture's lib)."""
    found = sorted(Path("/usr/lib").glob("*/kamailio/modules")) + \
        sorted(Path("/usr/lib").glob("kamailio/modules"))
    if not found:
        pytest.fail("kamailio is installed but its modules are not under /usr/lib")
    return found[0]


def run_kamailio(binary: str, folder: Path, port: int) -> Registrar | None:
    """Start Kamailio on a port and wait until it answers; None when it exits (port taken)."""
    config = folder / "kamailio.cfg"
    authenticate = "\n        ".join(
        f'if ($fU == "{user}" && !pv_www_authenticate("$td", "{password}", "0")) '
        f'{{ www_challenge("$td", "0"); exit; }}' for user, password in PASSWORDS.items())
    config.write_text(CONFIG.format(port=port, modules=modules(), authenticate=authenticate))
    log = folder / "kamailio.log"
    with log.open("wb") as out:
        # -D: in the foreground, so that its PID is the one to stop; -Y: its runtime files here
        process = subprocess.Popen([binary, "-f", str(config), "-D", "-E", "-Y", str(folder),
                                    "-P", str(folder / "kamailio.pid"), "-m", "32", "-M", "4"],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None  # it exited: the port was taken meanwhile, or its log says why
        if ask(port, options(port), timeout_s=0.2) == "SIP/2.0 200 OK":
            return Registrar(process, port, log)
    stop(process)
    pytest.fail(f"kamailio did not answer on 127.0.0.1:{port}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Registrar:
    """Kamailio as registrar and proxy on a free loopback port; required under CI."""
    binary = program("kamailio", "kamailio")
    folder = tmp_path_factory.mktemp("kamailio")
    for _ in range(3):  # the free port may be taken before Kamailio binds it: another one
        registrar = run_kamailio(binary, folder, free_udp_port())
        if registrar is not None:
            break
    else:
        pytest.fail(f"kamailio exited three times:\n{(folder / 'kamailio.log').read_text()}")
    yield registrar
    stop(registrar.process)


FLOW = KEYS_FLOW


def workspace(folder: Path, routes: dict[str, str], settings: str) -> Path:
    """Write a workspace with the `keys` menu flow, voice routes and callwright.toml."""
    (folder / "flows").mkdir(parents=True)
    (folder / "flows" / "keys.json").write_text(json.dumps(FLOW))
    (folder / "routes.json").write_text(json.dumps({"schema": "callwright/routes@1",
                                                    "voice": routes}))
    (folder / "callwright.toml").write_text(settings)
    return folder


def start_voice(folder: Path, banner: str, *options: str,
                env: dict[str, str] | None = None) -> Node:
    """Start `callwright voice` on a workspace; wait until its banner matches `banner`."""
    log = folder / "voice.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(callwright_command("voice", "--workspace", str(folder),
                                                      *options),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=stderr, env=env)
    deadline = time.monotonic() + VOICE_START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(banner):
                return Node(process, folder, log, line)
        time.sleep(0.1)
    stop(process)
    pytest.fail(f"callwright voice did not start:\n{log.read_text(errors='replace')}")


def dispositions(node: Node, flow_id: str, count: int) -> list[str]:
    """Wait until the execution log holds `count` ended sessions of a flow; return theirs."""
    return ended_as(node.workspace, flow_id, count)


def softphone(registrar: Registrar, number: str, key: str) -> dict:
    """Run the pyVoIP softphone: register as 3001, call `number`, listen, press `key`."""
    argv = [sys.executable, str(SOFTPHONE), "--registrar", f"127.0.0.1:{registrar.port}",
            "--user", "3001", "--call", number, "--press", key,
            "--sip-port", str(free_udp_port()), "--rtp-port", str(free_udp_port())]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0 and lines, f"softphone: {run.stdout}\n{run.stderr}"
    return json.loads(lines[-1])
