"""Compare SIP stacks for the `sip` port backend: parsing the hostile corpus, speed, UAS behaviour.

    python benchmarks/sip_stacks.py            # env: SIP_STACKS=aiosipua,sippy,pyvoip

Builds one scratch virtualenv per stack under benchmarks/results/sip-stacks/ (not committed;
reused while its pin is unchanged), each with one pinned package from the registry. For each
stack it parses every message of tests/runtime/ports/sip/messages (parsed, rejected, crashed or
hung, one worker process that is restarted after a crash or a 5 s hang), measures the parse
rate of a typical INVITE, and, where the stack can act as a UAS on 127.0.0.1 without a PBX,
drives it with a scripted UDP peer (benchmarks/sip_peer.py): INVITE/ACK/re-INVITE/BYE, CANCEL,
a retransmitted INVITE, every corpus message, a burst of INVITEs. Prints Markdown tables and
writes them with the raw results to benchmarks/results/sip-stacks/<time>.{md,json}.
Only processes this script started are stopped, by PID.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sip_peer  # noqa: E402  (this folder, as the other benchmarks import processes.py)
from processes import free_port, stop  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "runtime" / "ports" / "sip" / "messages"
WORKER = Path(__file__).resolve().parent / "sip_stack_worker.py"
RESULTS = REPO / "benchmarks" / "results" / "sip-stacks"
STACKS = {"aiosipua": "aiosipua==0.7.1", "sippy": "sippy==2.5.0", "pyvoip": "pyVoIP==1.6.8"}
# pyVoIP registers to a PBX at start and sends its answers to that registrar, not to the Via
NO_UAS = {"pyvoip": "was not run: it registers to a PBX when it starts and sends its answers "
                    "to that registrar, not to the Via, so it cannot answer calls without a PBX"}
# stacks whose UAS socket the worker can give a larger receive buffer (SIP_UAS_RCVBUF)
RCVBUF_STACKS = {"aiosipua"}
RCVBUF = 4 << 20
PARSE_TIMEOUT_S = 5.0


def ensure_venv(stack: str) -> Path:
    """Return the interpreter of the stack's scratch venv, building it if its pin changed."""
    venv, pin = RESULTS / f"venv-{stack}", STACKS[stack]
    python, marker = venv / "bin" / "python", venv / "callwright-pin.txt"
    if python.exists() and marker.exists() and marker.read_text() == pin:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    subprocess.run([str(python), "-m", "pip", "install", "-q", pin], check=True, timeout=900)
    marker.write_text(pin)
    return python


def describe(python: Path, stack: str) -> dict:
    """Return the installed version, licence and dependencies of the stack's distribution."""
    dist = STACKS[stack].split("==")[0]
    code = ("import importlib.metadata as m, json, sys; d = m.distribution(sys.argv[1]); "
            "md = d.metadata; print(json.dumps({'version': d.version, 'licence': "
            "md.get('License-Expression') or md.get('License') or ','.join("
            "c.split(' :: ')[-1] for c in md.get_all('Classifier') or [] if 'License' in c), "
            "'requires': [r.split(';')[0] for r in d.requires or [] if 'extra' not in r]}))")
    out = subprocess.run([str(python), "-c", code, dist], capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def parse_corpus(python: Path, stack: str, names: list[str]) -> dict[str, dict]:
    """Parse every corpus message in a worker; a crash or a hang is recorded and the worker restarted."""
    verdicts: dict[str, dict] = {}
    worker = None
    for name in names:
        if worker is None:
            worker = subprocess.Popen([str(python), str(WORKER), "parse", stack], text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL)
            selector = selectors.DefaultSelector()
            selector.register(worker.stdout, selectors.EVENT_READ)
        worker.stdin.write(f"{CORPUS / name}.sip\n")
        worker.stdin.flush()
        line = worker.stdout.readline() if selector.select(PARSE_TIMEOUT_S) else None
        if line:
            verdicts[name] = json.loads(line)
            continue
        hung = worker.poll() is None
        verdicts[name] = {"verdict": "hung" if hung else "crashed",
                          "error": f"no answer in {PARSE_TIMEOUT_S:.0f} s" if hung
                          else f"worker exited with {worker.returncode}"}
        stop(worker, wait_s=2)
        worker = None
    if worker is not None:
        worker.stdin.close()
        stop(worker, wait_s=5)
    return verdicts


def parse_rate(python: Path, stack: str) -> float | None:
    """Return the stack's parse rate of the typical INVITE, messages per second."""
    out = subprocess.run([str(python), str(WORKER), "rate", stack,
                          str(CORPUS / "v01-typical-invite.sip")],
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)["rate"] if out.returncode == 0 else None


class UasProcess:
    """The stack's UAS in a worker process on 127.0.0.1, and the calls it reported."""

    def __init__(self, python: Path, stack: str, rcvbuf: int = 0) -> None:
        self.port = free_port()
        self.events: list[tuple[str, str]] = []
        env = {**os.environ, "SIP_UAS_RCVBUF": str(rcvbuf)}
        self.process = subprocess.Popen([str(python), str(WORKER), "uas", stack, str(self.port)],
                                        text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            stop(self.process)
            raise RuntimeError(f"{stack} UAS did not start")

    def _read(self) -> None:
        for line in self.process.stdout:
            event, _, call_id = line.strip().partition(" ")
            if event == "ready":
                self.ready.set()
            self.events.append((event, call_id))

    def offers(self, call_id: str) -> int:
        """How many times the application was offered this call."""
        return sum(1 for event, cid in self.events if event == "offered" and cid == call_id)

    def offers_total(self) -> int:
        """How many calls the application was offered so far."""
        return sum(1 for event, _ in self.events if event == "offered")


def run_uas(python: Path, stack: str, index: dict) -> dict:
    """Drive the stack's UAS with the scripted peer; return every check's outcome."""
    uas = UasProcess(python, stack)
    peer = sip_peer.Peer(uas.port)
    try:
        checks: dict[str, sip_peer.Check] = {}
        checks |= sip_peer.check_call(peer, "a")
        checks |= sip_peer.check_cancel(peer, "b")
        checks |= sip_peer.check_retransmitted_invite(peer, "c", uas.offers)
        checks["sipp -sn uac, 50 calls at 25/s"] = sipp_calls(uas.port)
        seen = sip_peer.send_corpus(peer, index, CORPUS, uas.offers_total)
        answered, refused, wrong = sip_peer.corpus_verdict(index, seen)
        valid = sum(1 for e in index.values() if e["verdict"] == "valid")
        up = uas.process.poll() is None and sip_peer.alive(peer, "corpus")
        checks["corpus: valid answered, invalid dropped or 4xx"] = (
            not wrong and up, f"{answered}/{valid} valid answered, {refused}/{len(index) - valid} "
                              f"invalid refused, {'alive' if up else 'DEAD'} after")
        checks["flood of 300 INVITEs"] = sip_peer.flood(peer, "d", uas.offers_total)
    finally:
        peer.close()
        stop(uas.process, wait_s=5)
    if stack in RCVBUF_STACKS:
        checks[f"flood, UAS SO_RCVBUF {RCVBUF >> 20} MB"] = flood_rcvbuf(python, stack)
    return {"checks": checks, "corpus": seen, "wrong": wrong}


def sipp_calls(port: int, calls: int = 50) -> sip_peer.Check | None:
    """Place calls with SIPp's built-in UAC scenario (INVITE, ACK, 200 ms, BYE); None without sipp."""
    sipp = shutil.which("sipp")
    if sipp is None:
        return None
    command = [sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-p", str(free_port()),
               "-m", str(calls), "-r", "25", "-d", "200", "-nostdin", "-timeout", "60s",
               "-timeout_error"]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=90).stdout
    except subprocess.TimeoutExpired:
        return (False, "sipp did not finish in 90 s")
    ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out)
    failed = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", out)
    done = int(ok.group(1)) if ok else 0
    return (done == calls, f"{done}/{calls} successful, {failed.group(1) if failed else '?'} failed")


def flood_rcvbuf(python: Path, stack: str) -> sip_peer.Check:
    """The flood again, on a fresh UAS whose socket has a larger receive buffer."""
    uas = UasProcess(python, stack, rcvbuf=RCVBUF)
    peer = sip_peer.Peer(uas.port)
    try:
        return sip_peer.flood(peer, "e", uas.offers_total)
    finally:
        peer.close()
        stop(uas.process, wait_s=5)


def mark(check: sip_peer.Check | None) -> str:
    """Render one check as a table cell."""
    if check is None:
        return "-"
    ok, detail = check
    return f"{'yes' if ok else 'NO'}: {detail}"


def tables(results: dict, index: dict) -> str:
    """Render the results as Markdown tables."""
    stacks = list(results)
    valid = [n for n, e in index.items() if e["verdict"] == "valid"]
    lines = ["| stack | version | licence | runtime deps | valid parsed | invalid refused | "
             "crashed or hung | parse rate, typical INVITE |", "|---" * 8 + "|"]
    for stack, r in results.items():
        v = r["parse"]
        bad = [n for n, x in v.items() if x["verdict"] in ("crashed", "hung")]
        ok_valid = sum(v[n]["verdict"] == "parsed" for n in valid)
        refused = sum(v[n]["verdict"] != "parsed" for n in index if n not in valid)
        rate = f"{r['rate']:,.0f} msg/s" if r["rate"] else "failed"
        lines.append(f"| {stack} | {r['info']['version']} | {r['info']['licence']} | "
                     f"{len(r['info']['requires'])} | {ok_valid}/{len(valid)} | "
                     f"{refused}/{len(index) - len(valid)} | {len(bad)} | {rate} |")
    names = sorted({c for r in results.values() for c in r.get("uas", {}).get("checks", {})},
                   key=lambda c: next(i for r in results.values() for i, k in
                                      enumerate(r.get("uas", {}).get("checks", {})) if k == c))
    lines += ["", "| UAS check | " + " | ".join(stacks) + " |", "|---" * (len(stacks) + 1) + "|"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(
            mark(results[s].get("uas", {}).get("checks", {}).get(name)) if "uas" in results[s]
            else "not run" for s in stacks) + " |")
    lines += [f"\n{s}'s UAS {why}." for s, why in NO_UAS.items() if s in stacks]
    lines += ["", "| message | verdict | " + " | ".join(f"{s} parse" for s in stacks) + " | "
              + " | ".join(f"{s} UAS" for s in stacks if "uas" in results[s]) + " |",
              "|---" * (2 + len(stacks) + sum("uas" in results[s] for s in stacks)) + "|"]
    for name, entry in index.items():
        cells = []
        for s in stacks:
            x = results[s]["parse"][name]
            cells.append(x["verdict"] if x["verdict"] != "rejected"
                         else "rejected: " + x["error"].split(":")[0])
        cells += [results[s]["uas"]["corpus"][name] for s in stacks if "uas" in results[s]]
        lines.append(f"| {name} | {entry['verdict']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Build the venvs, run every measure, print and save the tables."""
    stacks = os.environ.get("SIP_STACKS", ",".join(STACKS)).split(",")
    index = tomllib.loads((CORPUS / "index.toml").read_text())
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for stack in stacks:
        print(f"{stack}: venv", file=sys.stderr, flush=True)
        python = ensure_venv(stack)
        result = {"info": describe(python, stack)}
        print(f"{stack}: parsing {len(index)} messages", file=sys.stderr, flush=True)
        result["parse"] = parse_corpus(python, stack, list(index))
        result["rate"] = parse_rate(python, stack)
        if stack not in NO_UAS:
            print(f"{stack}: UAS checks", file=sys.stderr, flush=True)
            try:
                result["uas"] = run_uas(python, stack, index)
            except RuntimeError as exc:
                result["uas"] = {"checks": {"UAS started": (False, str(exc))}, "corpus": {
                    n: "-" for n in index}, "wrong": []}
        results[stack] = result
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    text = tables(results, index)
    header = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
              f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    (RESULTS / f"{stamp}.md").write_text(header + "\n\n" + text + "\n")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=list))
    print(header + "\n\n" + text)


if __name__ == "__main__":
    main()
