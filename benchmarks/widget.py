"""How soon the web-chat widget answers on a page of another site: page load to the first reply.

    python benchmarks/widget.py [--runs 20] [--warmup 2] [--workers 2] [--url URL --route web]

1. Starts `callwright serve` on a copy of examples/workspace (free loopback port, its SIP on a
   free port, `[chat] origins` allowing the page's origin through CALLWRIGHT_CHAT_ORIGINS), and
   a second HTTP server on another port serving a shop's page that holds the one script tag
   `<script src="http://127.0.0.1:PORT/widget.js" data-route="web">`. With --url it measures that
   Callwright server instead (the page's origin must be in its `[chat] origins`).
2. Each run opens the page cold in a fresh headless Chromium context (Debian's /usr/bin/chromium
   through Playwright: its own profile and HTTP cache). A script the page gets before anything
   else (add_init_script) waits for the widget's element, opens the panel and sends "hello" the
   moment it exists (a visitor with no think time), and notes when the first reply of the
   support bot is in the conversation log: all in the page, on its own clock
   (performance.now(), from navigation start), so no polling by the driver is counted.
3. Prints one JSON line per run (ready_ms: the widget is on the page; reply_ms: the first reply
   is shown, both from navigation start; turn_ms: the difference, the preflight, POST and turn),
   then the medians and p95, and the size of widget.js as served and gzipped. The first
   `--warmup` loads are not counted: they pay the server's first turns (imports, compiled
   flows, SQLite pages), not the widget's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from processes import REPO, free_port, start_serve, stop

CHROMIUM = os.environ.get("CALLWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000

# runs in the page before its own scripts: as soon as the widget's element is there, chat
TIMING = """
(() => {
  const times = {};
  const chat = (host) => {
    const root = host.shadowRoot;
    const log = root.querySelector("[role=log]");
    times.ready_ms = performance.now();
    new MutationObserver((_, observer) => {
      if (log.querySelector(".bot")) {
        times.reply_ms = performance.now();
        observer.disconnect();
        window.__widgetTimes = times;
      }
    }).observe(log, { childList: true });
    root.querySelector(".launcher").click();
    root.querySelector("input").value = "hello";
    root.querySelector("form").requestSubmit();
  };
  new MutationObserver((_, observer) => {
    const host = document.querySelector("callwright-chat");
    if (host && host.shadowRoot) {
      observer.disconnect();
      chat(host);
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""


def page_server(serve_base: str, route: str) -> tuple[ThreadingHTTPServer, str]:
    """Serve a shop's page holding the widget's script tag; return the server and its origin."""
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'</head><body><h1>Shop</h1><p>Products.</p>'
            f'<script src="{serve_base}/widget.js" data-route="{route}"></script>'
            f'</body></html>').encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(page_url: str, runs: int, warmup: int) -> list[dict]:
    """Load the page `warmup` + `runs` times, each in a fresh context; return the runs' times."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for run in range(-warmup, runs):
                context = browser.new_context()
                context.add_init_script(TIMING)
                page = context.new_page()
                page.goto(page_url)
                page.wait_for_function("() => window.__widgetTimes", timeout=TIMEOUT_MS)
                times = page.evaluate("() => window.__widgetTimes")
                result = {"run": run + 1 if run >= 0 else "warmup", "ready_ms": round(times["ready_ms"], 1),
                          "reply_ms": round(times["reply_ms"], 1),
                          "turn_ms": round(times["reply_ms"] - times["ready_ms"], 1)}
                print(json.dumps(result), flush=True)
                if run >= 0:
                    results.append(result)
                context.close()
        finally:
            browser.close()
    return results


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="measure this running Callwright server")
    parser.add_argument("--route", default="web")
    options = parser.parse_args()
    if not (REPO / "builder" / "editor" / "widget.js").is_file() and not options.url:
        sys.exit("builder/editor/widget.js is not built: run scripts/build-editor.sh")
    serve = None
    folder = Path(tempfile.mkdtemp(prefix="widget-bench-"))
    try:
        if options.url:
            base = options.url.rstrip("/")
            server, origin = page_server(base, options.route)
        else:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server, origin = page_server(base, options.route)
            workspace = folder / "workspace"
            shutil.copytree(REPO / "examples" / "workspace", workspace,
                            ignore=shutil.ignore_patterns(".callwright"))
            os.environ["CALLWRIGHT_CHAT_ORIGINS"] = origin
            serve = start_serve(workspace, port, folder / "serve.log",
                                "--workers", str(options.workers), "--sip", "127.0.0.1:0")
        with urllib.request.urlopen(f"{base}/widget.js", timeout=10) as answer:
            script = answer.read()
        results = measure(origin + "/", options.runs, options.warmup)
    finally:
        if serve is not None:
            stop(serve)
        shutil.rmtree(folder, ignore_errors=True)
    summary = {"runs": len(results), "widget_js_bytes": len(script),
               "widget_js_gzip_bytes": len(gzip.compress(script, 9))}
    for name in ("ready_ms", "reply_ms", "turn_ms"):
        values = [r[name] for r in results]
        summary[f"{name}_median"] = round(statistics.median(values), 1)
        summary[f"{name}_p95"] = round(p95(values), 1)
    print(json.dumps(summary))
    print(f"page load to the widget's first reply: median {summary['reply_ms_median']} ms, "
          f"p95 {summary['reply_ms_p95']} ms over {len(results)} cold loads (widget on the page "
          f"at {summary['ready_ms_median']} ms; its message and turn {summary['turn_ms_median']} "
          f"ms); widget.js {len(script)} bytes, {summary['widget_js_gzip_bytes']} gzipped")


if __name__ == "__main__":
    main()
