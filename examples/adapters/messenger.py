#!/usr/bin/env python3
"""A messenger adapter for Callwright's generic webhook channel, in the standard library alone.

It connects a messenger to a flow both ways, signed both ways (docs/webhooks.md):

- each message a user writes is POSTed to Callwright's `/api/v1/channels/webhook` as
  `{id, from, to, text}`, signed with the shared secret;
- Callwright POSTs each reply to this adapter (`[webhooks] url` = `http://HOST:PORT/hook`); the
  adapter checks the signature (401 otherwise), drops a copy of a reply it has already had
  (same `Idempotency-Key`) and hands the reply to the messenger.

Here the messenger is this terminal: each line on stdin is a message from `--user`, each reply is
printed as one JSON line. For a real messenger, replace `from_messenger` and `to_messenger`.

    python examples/adapters/messenger.py --callwright http://127.0.0.1:8080 \\
        --listen 127.0.0.1:8090 --to support --user tg:4711   # secret: CALLWRIGHT_WEBHOOKS_SECRET
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADER = "X-Callwright-Signature"
TOLERANCE_S = 300  # a signature older or newer than this is a replay
MAX_BODY = 64 * 1024


def sign(secret: str, body: bytes, stamp: int | None = None) -> str:
    """Return the signature header value of a body: t=<unix seconds>,v1=<hex HMAC-SHA256>."""
    stamp = int(time.time()) if stamp is None else stamp
    mac = hmac.new(secret.encode(), str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def verify(secret: str, header: str | None, body: bytes) -> bool:
    """Return True when `header` signs the raw `body` with `secret` within the time window."""
    fields = [part.strip().partition("=") for part in (header or "").split(",")]
    stamps = [value for name, _, value in fields if name == "t"]
    macs = [value for name, _, value in fields if name == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or \
            abs(time.time() - int(stamps[0])) > TOLERANCE_S:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, mac) for mac in macs)


def from_messenger(callwright: str, secret: str, user: str, to: str, text: str) -> dict:
    """POST one message of a user to Callwright, signed; return its answer."""
    body = json.dumps({"id": uuid.uuid4().hex, "from": user, "to": to, "text": text},
                      ensure_ascii=False).encode()
    request = urllib.request.Request(f"{callwright}/api/v1/channels/webhook", data=body,
                                     method="POST",
                                     headers={"Content-Type": "application/json",
                                              HEADER: sign(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:  # the error envelope says what was wrong
        return json.load(exc)


def to_messenger(reply: dict) -> None:
    """Hand a reply to the messenger: here, print it as one JSON line."""
    print(json.dumps({"to": reply["to"], "text": reply["text"]}, ensure_ascii=False), flush=True)


def serve_replies(address: str, secret: str) -> ThreadingHTTPServer:
    """Take Callwright's replies on POST /hook in a thread; return the server."""
    seen: set[str] = set()
    guard = threading.Lock()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/hook" or length > MAX_BODY:
                return self.answer(404 if self.path != "/hook" else 413)
            body = self.rfile.read(length)  # checked as received, before any parsing
            if not verify(secret, self.headers.get(HEADER), body):
                return self.answer(401)
            key = self.headers.get("Idempotency-Key") or ""
            with guard:  # a retried reply (its first answer lost) is not shown twice
                first = key not in seen
                seen.add(key)
            if first:
                to_messenger(json.loads(body))
            self.answer(200)

        def answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass  # stdout is the messenger's

    host, _, port = address.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callwright", default="http://127.0.0.1:8080")
    parser.add_argument("--listen", default="127.0.0.1:8090", help="where replies arrive (/hook)")
    parser.add_argument("--to", default="support", help="our address: the webhook route's key")
    parser.add_argument("--user", default="terminal", help="who writes, as the messenger says")
    args = parser.parse_args()
    secret = os.environ.get("CALLWRIGHT_WEBHOOKS_SECRET")
    if not secret:
        sys.exit("set CALLWRIGHT_WEBHOOKS_SECRET to the [webhooks] secret of the workspace")
    server = serve_replies(args.listen, secret)
    print(json.dumps({"listening": f"http://{args.listen}/hook"}), flush=True)
    try:
        for line in sys.stdin:
            answer = from_messenger(args.callwright, secret, args.user, args.to, line.rstrip("\n"))
            if "error" in answer:
                print(json.dumps(answer, ensure_ascii=False), file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("ADAPTER_LINGER_S", "0")))  # replies on their way
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
