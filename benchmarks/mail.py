"""E-mails per second from SMTP in to the answer handed to the relay, for 1,000 mails.

Run from the repository root: `.venv/bin/python benchmarks/mail.py [--mails 1000] [--clients 8]`.

What is measured is the whole path of the e-mail channel as `serve --smtp` runs it, over real
TCP on 127.0.0.1: `--clients` SMTP clients (smtplib, one connection each, kept open) hand mails
to the receiver (aiosmtpd, `runtime.mail.server`); each mail is parsed, screened for loops,
routed, runs a turn of a flow (greeting + menu, the session saved to SQLite, steps to the
execution log) and queues its answer on the SQLite task queue; a `callwright worker` process
takes the `send` task and hands the answer to a relay (aiosmtpd, in this process), which counts
it. Every mail comes from its own sender, so each starts a conversation.

It prints mails/s (first mail sent to last answer at the relay) and the p50/p99 time from a
mail's send to its answer's arrival at the relay. Only the worker it started is stopped, by PID.
"""

from __future__ import annotations

import os
import sys

# run as a script, this file's folder comes first on sys.path, and this file's name would hide
# the standard library's `email` package from everything imported below
sys.path[:] = [p for p in sys.path
               if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import json
import shutil
import smtplib
import statistics
import subprocess
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))

from mail_relay import Relay  # noqa: E402

from runtime import Runtime  # noqa: E402
from runtime.mail import MailReceiver  # noqa: E402
from runtime.mail.server import MailServer  # noqa: E402

OURS = "support@acme.test"
FLOW = {
    "schema": "callwright/flow@1", "id": "support", "start": "greet",
    "blocks": {
        "greet": {"type": "say", "config": {"text": "Hi, you wrote: {{ trigger.text }}"},
                  "exits": {"next": "menu"}},
        "menu": {"type": "menu",
                 "config": {"prompt": "Balance or bye?",
                            "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                                        {"key": "9", "label": "Bye", "exit": "bye"}]},
                 "exits": {"balance": "balance", "bye": "bye"}},
        "balance": {"type": "say", "config": {"text": "Your balance is 42.00 EUR."},
                    "exits": {"next": "menu"}},
        "bye": {"type": "end", "config": {"text": "Bye."}},
    },
}


def workspace(folder: Path, relay: Relay) -> Path:
    """Write a workspace answering OURS with the support flow through the relay."""
    (folder / "flows").mkdir(parents=True)
    (folder / "flows" / "support.json").write_text(json.dumps(FLOW), "utf-8")
    (folder / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "email": {OURS: "support"}}), "utf-8")
    (folder / "callwright.toml").write_text(
        f'[email]\nrelay = "{relay.address}"\nfrom = "Acme Support <{OURS}>"\n'
        f"[tasks]\nretries = 3\nretry_delay_s = 0.1\n", "utf-8")
    return folder


def mail(n: int) -> bytes:
    """Return mail number n, from a sender of its own, with CRLF line ends."""
    message = EmailMessage()
    message["From"] = f"Customer {n} <c{n}@customer.test>"
    message["To"] = OURS
    message["Subject"] = f"Question {n}"
    message["Message-ID"] = f"<q{n}@customer.test>"
    message.set_content(f"Hello, this is question number {n}.\n\n-- \nCustomer {n}\n")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def client(port: int, numbers: list[int], sent: dict[str, float]) -> None:
    """Send mails over one kept-open SMTP connection, noting when each was handed over."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for n in numbers:
            sent[f"<q{n}@customer.test>"] = time.perf_counter()
            smtp.sendmail(f"c{n}@customer.test", [OURS], mail(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="callwright-email-bench-"))
    relay = Relay().start()
    arrived: dict[str, float] = {}
    relay.on_mail = lambda message: arrived.__setitem__(str(message["In-Reply-To"]),
                                                        time.perf_counter())
    root = workspace(folder / "ws", relay)
    runtime = Runtime.open(root)
    worker = subprocess.Popen([sys.executable, "-m", "builder.cli", "worker", "--workspace",
                               str(root), "--no-periodic"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=open(folder / "worker.log", "wb"),
                              cwd=Path(__file__).resolve().parent.parent,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve()
                                                                   .parent.parent)})
    sent: dict[str, float] = {}
    try:
        with MailServer(MailReceiver(runtime), "127.0.0.1", 0) as server:
            share = [list(range(i, args.mails, args.clients)) for i in range(args.clients)]
            threads = [threading.Thread(target=client, args=(server.port, numbers, sent))
                       for numbers in share]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + args.timeout
            while len(arrived) < args.mails:
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit(f"only {len(arrived)} of {args.mails} answers arrived; "
                                     f"see {folder / 'worker.log'}")
                time.sleep(0.005)
            elapsed = max(arrived.values()) - start
            for thread in threads:
                thread.join()
            taken = max(sent.values()) - start
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        runtime.close()
        relay.stop()
    latencies = sorted((arrived[key] - sent[key]) * 1000 for key in sent)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{args.mails} mails, {args.clients} SMTP clients: {args.mails / elapsed:.1f} mails/s "
          f"({elapsed:.2f} s from the first mail in to the last answer at the relay); "
          f"all mails taken by SMTP within {taken:.2f} s; send to answer p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
