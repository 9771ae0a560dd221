"""pyVoIP answering the benchmark's IVR behind Kamailio, measured by the same callers as Callwright.

Builds pyVoIP 1.6.8's scratch venv (benchmarks/sip_stacks.py's, under benchmarks/results/), speaks
the IVR's prompts with the product's TTS into the 8-bit audio pyVoIP plays, and for each step
starts Kamailio (benchmarks/sip_registrar.py) and benchmarks/sip_pyvoip.py, waits for its
registration and places the step's calls as for Callwright, the callers dialling the registrar.
It stops after the first step under the target. When pyVoIP cannot be set up or does not
register, the report says why instead.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import sip_stacks
from processes import stop
from sip_callers import cpu_s, free_udp_port, place, step_report
from sip_ivr import PROMPTS, menus
from sip_registrar import Registrar

WORKER = Path(__file__).resolve().parent / "sip_pyvoip.py"
READY_TIMEOUT_S = 60.0  # pyVoIP tries REGISTER three times before it gives up
ENDS_WAIT_S = 30.0
RTP_PORTS = (20000, 29998)  # pyVoIP's RTP range (it picks within it)


def prompts(folder: Path) -> None:
    """Speak every prompt with the product's TTS; write them as 8-bit unsigned 8 kHz audio."""
    from runtime.media import MediaLibrary  # the product's code: this venv's, not pyVoIP's

    library = MediaLibrary(folder)
    for name, text in PROMPTS.items():
        pcm = np.frombuffer(library.prompt_sync({"text": text}, "en").pcm, dtype="<i2")
        (folder / f"{name}.u8").write_bytes(((pcm >> 8) + 128).astype(np.uint8).tobytes())


def start(folder: Path, registrar: Registrar) -> subprocess.Popen:
    """Start the pyVoIP IVR; return it once it has registered, or raise with why not."""
    python = sip_stacks.ensure_venv("pyvoip")
    spec = {"registrar_port": registrar.port, "sip_port": free_udp_port(),
            "rtp_low": RTP_PORTS[0], "rtp_high": RTP_PORTS[1], "prompts": str(folder),
            "ends": str(folder / "ends.txt"), **menus()}
    (folder / "spec.json").write_text(json.dumps(spec, indent=2))
    (folder / "ends.txt").touch()
    with (folder / "pyvoip.log").open("ab") as log:  # the child has its own copy
        process = subprocess.Popen([str(python), str(WORKER), str(folder / "spec.json")],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    ready = threading.Event()
    threading.Thread(target=lambda: process.stdout.readline() == b"ready\n" and ready.set(),
                     daemon=True).start()
    if not ready.wait(READY_TIMEOUT_S):
        stop(process, 5)
        raise RuntimeError("pyVoIP did not register within "
                           f"{READY_TIMEOUT_S:.0f} s: {(folder / 'pyvoip.log').read_text()[-500:]}")
    return process


def ends(folder: Path, since: int, calls: int) -> list[str]:
    """Wait until the IVR wrote `calls` ends after the first `since`; return those."""
    deadline = time.monotonic() + ENDS_WAIT_S
    while True:
        found = (folder / "ends.txt").read_text().split()[since:]
        if len(found) >= calls or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def steps(run: Path, counts: list[int], ramp_s: float) -> list[dict]:
    """Run the steps against pyVoIP until one misses the target; a note when it cannot run.

    Each step gets a fresh Kamailio and pyVoIP: pyVoIP renews its registration every 115 s by
    reading the next datagram of its one SIP socket as the answer, and under traffic that is a
    call's message; three such misreadings and it stops itself, failing every call (seen at 200
    calls). A step lasts under 115 s, so it measures the calls, not the renewal.
    """
    folder = run / "pyvoip"
    folder.mkdir()
    reports: list[dict] = []
    try:
        prompts(folder)
        for calls in counts:
            report = step(run / f"pyvoip-{calls}", folder, calls, ramp_s)
            print(json.dumps({k: v for k, v in report.items() if k != "timeline"}), flush=True)
            reports.append(report)
            if not report["ok"]:
                break
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        reports.append({"stack": "pyvoip", "note": f"not measured: {exc}"})
        print(json.dumps(reports[-1]), flush=True)
    return reports


def step(folder: Path, prompts_folder: Path, calls: int, ramp_s: float) -> dict:
    """Start Kamailio and pyVoIP, place one step's calls through them, stop both; its figures."""
    folder.mkdir()
    registrar = Registrar(folder / "kamailio", free_udp_port())
    process = None
    try:
        process = start(prompts_folder, registrar)
        since = len((prompts_folder / "ends.txt").read_text().split())
        cpu, kamailio = cpu_s(process.pid), cpu_s(registrar.process.pid)
        placed = place(folder, ("127.0.0.1", registrar.port), calls, ramp_s)
        cpu = cpu_s(process.pid) - cpu
        report = step_report("pyvoip", calls, placed, ends(prompts_folder, since, calls), cpu)
        report["registrar_cpu_s"] = round(cpu_s(registrar.process.pid) - kamailio, 1)
        return report
    finally:
        if process is not None:
            stop(process, 10)
        registrar.stop()
