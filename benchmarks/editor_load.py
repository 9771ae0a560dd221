"""How fast the editor draws a big flow, measured as Node-RED's editor is (../shared/benchmarks/nodered).

    python benchmarks/editor_load.py [--blocks 1000] [--runs 3] [--url URL] [--screenshot out.png]

Writes a flow of N blocks (say, menu, branch, set and end in a chain, laid out on a grid) into a
fresh workspace, starts `callwright serve` on a free loopback port, and in a fresh headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright) opens /flows/<id> cold, then polls every frame
until N block nodes are in the canvas (rendered_ms, from navigation start) and two frames later
(painted_ms); then pans the canvas for 2 s and reports frame times (median, p95, worst). With
--url it measures that server instead (its flow `big-<N>` must exist).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = os.environ.get("CALLWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def big_flow(blocks: int) -> dict:
    """Return a valid flow of `blocks` blocks: chains of say -> menu -> branch -> set -> ... -> end."""
    kinds = ["say", "menu", "branch", "set"]
    ids = [f"b{i:05d}" for i in range(blocks)]
    doc: dict = {"schema": "callwright/flow@1", "id": f"big-{blocks}", "name": f"{blocks} blocks",
                 "start": ids[0], "blocks": {}, "layout": {}}
    for i, block_id in enumerate(ids):
        following = ids[i + 1] if i + 1 < blocks else None
        kind = kinds[i % len(kinds)] if following else "end"
        if kind == "say":
            block = {"type": "say", "config": {"text": f"Step {i}: hello"}, "exits": {"next": following}}
        elif kind == "menu":
            block = {"type": "menu", "config": {"prompt": f"Menu {i}: press 1 or 2", "options": [
                {"key": "1", "label": "Go on", "exit": "go"}, {"key": "2", "label": "Also", "exit": "also"}]},
                "exits": {"go": following, "also": following, "failed": following}}
        elif kind == "branch":
            block = {"type": "branch", "config": {"rules": [
                {"when": {"var": "vars.n", "op": ">", "value": i}, "exit": "big"}]},
                "exits": {"big": following, "default": following}}
        elif kind == "set":
            block = {"type": "set", "config": {"values": {"vars.n": i}}, "exits": {"next": following}}
        else:
            block = {"type": "end", "config": {"disposition": "completed"}}
        doc["blocks"][block_id] = block
        doc["layout"][block_id] = {"x": (i % 25) * 300, "y": (i // 25) * 220}
    return doc


def free_port() -> int:
    """Return a free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(workspace: Path, port: int) -> subprocess.Popen:
    """Start `callwright serve` on the workspace and wait until it answers."""
    callwright = Path(sys.executable).with_name("callwright")
    process = subprocess.Popen([str(callwright), "serve", "--workspace", str(workspace),
                                "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("callwright serve did not start")


PAN = """async () => {
  const pane = document.querySelector('.react-flow__pane');
  const box = pane.getBoundingClientRect();
  const frames = [];
  let last = performance.now();
  const end = last + 2000;
  let x = box.left + box.width / 2, y = box.top + box.height / 2, step = 0;
  pane.dispatchEvent(new MouseEvent('mousedown', {bubbles: true, clientX: x, clientY: y, button: 0, view: window}));
  await new Promise((resolve) => {
    const tick = (now) => {
      frames.push(now - last); last = now; step++;
      x += Math.sin(step / 10) * 15; y += Math.cos(step / 10) * 10;
      pane.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: x, clientY: y, buttons: 1, view: window}));
      if (now < end) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  window.dispatchEvent(new MouseEvent('mouseup', {bubbles: true, clientX: x, clientY: y, view: window}));
  return frames.slice(1);
}"""


def measure(url: str, blocks: int, runs: int, screenshot: str | None) -> dict:
    """Open the flow cold `runs` times and return the figures (medians over the runs)."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        for run in range(runs):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, wait_until="commit")
            rendered = page.wait_for_function(
                "n => document.querySelectorAll('.react-flow__node').length >= n ? performance.now() : false",
                arg=blocks, polling="raf", timeout=120_000).json_value()
            painted = page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                                    "requestAnimationFrame(() => r(performance.now()))))")
            frames = page.evaluate(PAN)
            if screenshot and run == runs - 1:
                page.screenshot(path=screenshot)
            browser.close()
            frames.sort()
            results.append({"rendered_ms": round(rendered), "painted_ms": round(painted),
                            "pan_frame_median_ms": round(statistics.median(frames), 1),
                            "pan_frame_p95_ms": round(frames[int(len(frames) * 0.95) - 1], 1),
                            "pan_frame_worst_ms": round(frames[-1], 1), "pan_frames": len(frames)})
            print(json.dumps({"run": run + 1, **results[-1]}), flush=True)
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    """Run the benchmark and print one JSON line per run, then the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an editor URL to measure instead of a fresh serve")
    parser.add_argument("--screenshot")
    options = parser.parse_args()
    if options.url:
        print(json.dumps({"median": measure(options.url, options.blocks, options.runs, options.screenshot)}))
        return
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        (workspace / "flows").mkdir()
        flow = big_flow(options.blocks)
        (workspace / "flows" / f"{flow['id']}.json").write_text(json.dumps(flow, indent=2), "utf-8")
        port = free_port()
        serve = start_serve(workspace, port)
        try:
            url = f"http://127.0.0.1:{port}/flows/{flow['id']}"
            print(json.dumps({"median": measure(url, options.blocks, options.runs, options.screenshot)}))
        finally:
            serve.terminate()
            serve.wait(timeout=30)


if __name__ == "__main__":
    main()
