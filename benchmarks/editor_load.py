"""How fast the editor draws and pans a big flow and saves it, side by side with Node-RED's editor.

    python benchmarks/editor_load.py [--blocks 1000] [--runs 5] [--rounds 20] [--only callwright|nodered]
                                     [--no-save] [--url URL] [--screenshots]

One run measures both editors on the same machine, alternately, because the machine is shared and
noisy: compare the ratios of one run.

1. Callwright: writes a flow of N blocks (say, menu, branch, set and end in a chain, laid out on a
   grid) into a fresh workspace and starts `callwright serve` on a free loopback port (local mode:
   no users, so the browser is the local admin). Node-RED 5: the 1,000-node tab of
   ../shared/benchmarks/nodered (gen_flows.js: 500 switch + 500 change, chained), set up once
   under $NODERED_BENCH_DIR by its setup.sh and started by its start.sh on a free port.
2. Each run opens each editor cold in a fresh headless Chromium (Debian's /usr/bin/chromium,
   driven by Playwright, fresh profile and cache) and polls every animation frame, as the shared
   harness editor_load.js does: nodes_ms when all N nodes are in the DOM, drawn_ms when their
   connections are too (each editor draws its blocks and their connections in one frame, but a
   check should not assume it), painted_ms two frames after that (the frame holding them all has
   been painted): that is the time to a fully drawn flow, from navigation start. Once the page is
   quiet (10 frames in a row under 25 ms, at most 10 s: settled_ms after painted), it drags
   the canvas with the mouse (trusted input: Callwright's left-drag on the pane, Node-RED's
   middle-drag, each editor's own pan gesture) along the same path for 2 s and records every
   frame's duration (median, p95, worst) and how far the view moved.
   The shared harness editor_load.js is also run once a run against Node-RED, as a cross-check.
3. Save round trip over HTTP (Callwright): what the editor sends to save and check a draft, PUT
   /api/v1/flows/<id>/draft with If-Match (the ETag of the previous save) and X-CSRF-Token, then
   POST /api/v1/flows/<id>/validate with the same document; `--rounds` timed rounds (after 2
   untimed), each with a one-word change, median and p95.

Prints one JSON line per measurement, then a table with medians and the ratios; everything also
goes to benchmarks/results/editor-<time>/ (not committed). With --url it measures that
Callwright server instead (its flow `big-<N>` must exist; no save rounds).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from processes import (NODERED_DIR, NODERED_NODE, REPO, free_port, start_nodered, start_serve,
                       stop, stop_nodered)

CHROMIUM = os.environ.get("CALLWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1600, "height": 1000}
PAN_SECONDS = 2.0

# What "drawn" means in each editor, and how its canvas is panned. `pan_state` returns the view's
# offset in screen pixels (read every few frames, to check that the drag moved the view).
EDITORS = {
    "callwright": {
        "nodes": ".react-flow__node", "edges": ".react-flow__edge",
        "canvas": ".react-flow", "avoid": ".react-flow__node, .react-flow__edge, .react-flow__panel, "
                                           ".react-flow__minimap, .react-flow__controls",
        "button": "left",
        "pan_state": "() => { const m = /translate\\(([-\\d.e]+)px, ([-\\d.e]+)px\\)/.exec("
                     "document.querySelector('.react-flow__viewport').style.transform); "
                     "return m ? [+m[1], +m[2]] : [0, 0]; }",
    },
    "nodered": {
        "nodes": ".red-ui-flow-node-group", "edges": "g.red-ui-flow-link",
        "canvas": "#red-ui-workspace-chart", "avoid": ".red-ui-flow-node-group, .red-ui-flow-link",
        "button": "middle",
        "pan_state": "() => { const c = document.getElementById('red-ui-workspace-chart'); "
                     "return [-c.scrollLeft, -c.scrollTop]; }",
    },
}

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


def edge_count(flow: dict) -> int:
    """Return how many connections the editor draws for a flow: one per exit that names a block."""
    return sum(1 for block in flow["blocks"].values() for target in block.get("exits", {}).values() if target)


WAIT_DRAWN = """([nodes, edges, n, e]) => {
  const now = performance.now();
  if (document.querySelectorAll(nodes).length < n) return false;
  window.__nodesAt = window.__nodesAt || now;
  return document.querySelectorAll(edges).length >= e ? [window.__nodesAt, now] : false;
}"""

PAINTED = """(nodes) => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() =>
  resolve([performance.now(), document.querySelectorAll(nodes).length]))))"""

EMPTY_SPOT = """([canvas, avoid]) => {
  // a point on the canvas's empty background, right of and below its middle (the drag goes up-left)
  const box = document.querySelector(canvas).getBoundingClientRect();
  for (const fy of [0.7, 0.8, 0.6, 0.9, 0.5]) for (const fx of [0.7, 0.8, 0.6, 0.9, 0.5]) {
    for (let d = 0; d < 80; d += 4) {
      const x = Math.round(box.left + box.width * fx + d), y = Math.round(box.top + box.height * fy + d / 2);
      const el = document.elementFromPoint(x, y);
      if (el && el.closest(canvas) && !el.closest(avoid)) return [x, y];
    }
  }
  return null;
}"""

RECORD = """(panState) => {
  const state = eval('(' + panState + ')');
  const start = state();
  const record = window.__frames = {times: [], moved: 0, on: true};
  let last = performance.now(), count = 0;
  const tick = (now) => {
    if (!record.on) return;
    record.times.push(now - last); last = now;
    if (++count % 4 === 0) { const s = state(); record.moved = Math.max(record.moved, Math.hypot(s[0] - start[0], s[1] - start[1])); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
}"""

STOP_RECORD = "() => { const r = window.__frames; r.on = false; return r; }"

SETTLE = """() => new Promise((resolve) => {
  // wait (at most 10 s) for 10 frames in a row under 25 ms: what the load left to do is done
  const start = performance.now();
  let last = start, quiet = 0;
  const tick = (now) => {
    quiet = now - last < 25 ? quiet + 1 : 0; last = now;
    if (quiet >= 10 || now - start > 10000) resolve(Math.round(now - start)); else requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
})"""


def pan(page, editor: dict) -> dict:
    """Drag the canvas with the mouse for PAN_SECONDS along a fixed path; return frame times."""
    spot = page.evaluate(EMPTY_SPOT, [editor["canvas"], editor["avoid"]])
    if not spot:
        raise SystemExit("no empty spot on the canvas to drag from")
    x0, y0 = spot
    page.mouse.move(x0, y0)
    settled = page.evaluate(SETTLE)
    page.evaluate(RECORD, editor["pan_state"])
    page.mouse.down(button=editor["button"])
    start, moves = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < PAN_SECONDS:
        # up-left and back twice (so Node-RED's scroll never meets its top-left edge), ~1,000 px/s
        swing = 1 - math.cos(2 * math.pi * elapsed / (PAN_SECONDS / 2))
        page.mouse.move(x0 - 180 * swing, y0 - 120 * swing)
        moves += 1
        ahead = start + moves / 60 - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
    page.mouse.up(button=editor["button"])
    record = page.evaluate(STOP_RECORD)
    frames = sorted(record["times"])
    if not frames:
        raise SystemExit("no frames recorded while panning")
    return {"pan_frame_median_ms": round(statistics.median(frames), 1),
            "pan_frame_p95_ms": round(frames[math.ceil(len(frames) * 0.95) - 1], 1),
            "pan_frame_worst_ms": round(frames[-1], 1), "pan_frames": len(frames),
            "pan_moves": moves, "panned_px": round(record["moved"]), "settled_ms": settled}


def measure(playwright, name: str, url: str, nodes: int, edges: int, screenshot: Path | None) -> dict:
    """Open one editor cold in a fresh browser, time it until drawn and painted, then pan it."""
    editor = EDITORS[name]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        page = browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="commit")
        nodes_at, drawn_at = page.wait_for_function(
            WAIT_DRAWN, arg=[editor["nodes"], editor["edges"], nodes, edges],
            polling="raf", timeout=180_000).json_value()
        painted_at, count = page.evaluate(PAINTED, editor["nodes"])
        result = {"editor": name, "nodes_ms": round(nodes_at), "drawn_ms": round(drawn_at),
                  "painted_ms": round(painted_at), "nodes": count}
        if screenshot:
            page.screenshot(path=str(screenshot))
        result.update(pan(page, editor))
        if errors:
            result["page_errors"] = errors[:3]
        return result
    finally:
        browser.close()


def harness(url: str, out: Path) -> dict:
    """Run the shared harness's editor_load.js once against Node-RED (cold load, then a warm one)."""
    completed = subprocess.run(
        [str(NODERED_NODE), "editor_load.js", url, ".red-ui-flow-node-group", "1000", "--runs", "1",
         "--json", str(out)], cwd=NODERED_DIR, capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise SystemExit(f"editor_load.js failed: {completed.stderr[-2000:]}")
    summary = json.loads(out.read_text())
    run = summary["results"][0]
    return {"editor": "nodered-harness", "rendered_ms": run["cold"]["rendered_ms"],
            "painted_ms": run["cold"]["painted_ms"], "warm_rendered_ms": run["warm"]["rendered_ms"]}


class Client:
    """The editor's HTTP calls over one keep-alive connection, as the local admin."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.csrf = json.loads(self.call("GET", "/api/v1/session")[1])["csrf_token"]

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """Send one request; return (status, body bytes, response headers)."""
        sent = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/json"
        if method != "GET" and getattr(self, "csrf", None):
            sent["X-CSRF-Token"] = self.csrf
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        return response.status, response.read(), response.headers


def save_rounds(port: int, flow_id: str, rounds: int) -> list[dict]:
    """PUT the draft (If-Match: the last ETag) then POST validate, as the editor does; time each."""
    client = Client(port)
    status, data, headers = client.call("GET", f"/api/v1/flows/{flow_id}/draft")
    if status != 200:
        raise SystemExit(f"GET draft: {status} {data[:300]!r}")
    doc, etag = json.loads(data), headers["ETag"]
    timings = []
    for round_ in range(rounds + 2):
        doc["blocks"]["b00000"]["config"]["text"] = f"Step 0: hello, edit {round_}"
        # the browser sends JSON.stringify(document): compact, no spaces
        body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        started = time.perf_counter()
        status, data, headers = client.call("PUT", f"/api/v1/flows/{flow_id}/draft", body, {"If-Match": etag})
        saved = time.perf_counter()
        if status != 200:
            raise SystemExit(f"PUT draft: {status} {data[:300]!r}")
        etag = headers["ETag"]
        status, data, _ = client.call("POST", f"/api/v1/flows/{flow_id}/validate", body)
        done = time.perf_counter()
        if status != 200 or not json.loads(data)["ok"]:
            raise SystemExit(f"POST validate: {status} {data[:300]!r}")
        if round_ >= 2:
            timings.append({"put_ms": (saved - started) * 1000, "validate_ms": (done - saved) * 1000,
                            "total_ms": (done - started) * 1000})
    timings.append({"body_bytes": len(body)})
    return timings


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 0.95) - 1]


def summary(rows: list[dict], editor: str, keys: list[str]) -> dict:
    """Return the median of each key over one editor's runs."""
    mine = [row for row in rows if row["editor"] == editor]
    return {key: statistics.median(row[key] for row in mine) for key in keys if mine}


def report(rows: list[dict], saves: list[dict] | None, blocks: int, out: Path) -> None:
    """Print the side-by-side table and the ratios, and write them to `out`."""
    keys = ["nodes_ms", "drawn_ms", "painted_ms", "pan_frame_median_ms", "pan_frame_p95_ms",
            "pan_frame_worst_ms", "pan_frames", "panned_px"]
    medians = {name: summary(rows, name, keys) for name in EDITORS}
    medians["nodered-harness"] = summary(rows, "nodered-harness", ["rendered_ms", "painted_ms", "warm_rendered_ms"])
    runs = sum(1 for row in rows if row["editor"] == "callwright") or sum(1 for row in rows if row["editor"] == "nodered")
    lines = [f"\n## Editor with {blocks} blocks/nodes, headless Chromium, cold loads, medians of {runs} runs",
             "| editor | all nodes in DOM ms | + connections ms | painted ms | pan frame median / p95 / worst ms "
             "| frames in 2 s of panning | view moved px |",
             "|---|---|---|---|---|---|---|"]
    for name, label in (("callwright", "Callwright"), ("nodered", "Node-RED 5.0.7")):
        m = medians[name]
        if m:
            lines.append(f"| {label} | {m['nodes_ms']:.0f} | {m['drawn_ms']:.0f} | {m['painted_ms']:.0f} | "
                         f"{m['pan_frame_median_ms']:.1f} / {m['pan_frame_p95_ms']:.1f} / {m['pan_frame_worst_ms']:.1f} | "
                         f"{m['pan_frames']:.0f} | {m['panned_px']:.0f} |")
    h = medians["nodered-harness"]
    if h:
        lines.append(f"| Node-RED, shared editor_load.js | {h['rendered_ms']:.0f} | (same redraw) | {h['painted_ms']:.0f} | "
                     f"- (warm reload {h['warm_rendered_ms']:.0f} ms) | - | - |")
    if medians["callwright"] and medians["nodered"]:
        c, n = medians["callwright"], medians["nodered"]
        lines.append(f"\nRatio Callwright / Node-RED, painted (fully drawn): **{c['painted_ms'] / n['painted_ms']:.2f}x** "
                     f"(goal 0.50x or less); pan frame median {c['pan_frame_median_ms'] / n['pan_frame_median_ms']:.2f}x, "
                     f"p95 {c['pan_frame_p95_ms'] / n['pan_frame_p95_ms']:.2f}x")
        paired = [cw["painted_ms"] / nr["painted_ms"] for cw in rows if cw["editor"] == "callwright"
                  for nr in rows if nr["editor"] == "nodered" and nr["run"] == cw["run"]]
        lines.append("Painted ratio run by run (each pair loaded back to back): "
                     + ", ".join(f"{ratio:.2f}x" for ratio in paired))
    if saves:
        timed = [save for save in saves if "total_ms" in save]
        lines.append(f"\n## Save round trip, {blocks}-block flow ({saves[-1]['body_bytes']:,} bytes), "
                     f"{len(timed)} rounds: PUT draft (If-Match) + POST validate")
        lines.append("| step | median ms | p95 ms | worst ms |")
        lines.append("|---|---|---|---|")
        for key, label in (("put_ms", "PUT draft"), ("validate_ms", "POST validate"), ("total_ms", "round trip")):
            values = [save[key] for save in timed]
            lines.append(f"| {label} | {statistics.median(values):.1f} | {p95(values):.1f} | {max(values):.1f} |")
    text = "\n".join(lines)
    print(text, flush=True)
    (out / "summary.md").write_text(text + "\n", "utf-8")
    (out / "runs.json").write_text(json.dumps({"medians": medians, "runs": rows, "saves": saves}, indent=2), "utf-8")


def main() -> None:
    """Run the benchmark: print one JSON line per measurement, then the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="cold loads of each editor (alternating)")
    parser.add_argument("--rounds", type=int, default=20, help="timed save round trips")
    parser.add_argument("--only", choices=sorted(EDITORS))
    parser.add_argument("--no-save", action="store_true", help="skip the save round trips")
    parser.add_argument("--url", help="a Callwright editor URL to measure instead of a fresh serve")
    parser.add_argument("--screenshots", action="store_true", help="save each editor's drawn view of the last run")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/editor-<time>")
    options = parser.parse_args()
    out = options.out or REPO / "benchmarks" / "results" / time.strftime("editor-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    names = [options.only] if options.only else list(EDITORS)
    if "nodered" in names and options.blocks != 1000:
        print("# Node-RED's tab (gen_flows.js) has 1,000 nodes: measuring Callwright only", flush=True)
        names = ["callwright"]
    flow = big_flow(options.blocks)
    expected = {"callwright": (options.blocks, edge_count(flow)), "nodered": (1000, 999)}

    from playwright.sync_api import sync_playwright

    serve = None
    nodered = False
    folder = tempfile.TemporaryDirectory(prefix="callwright-editor-bench-")
    try:
        urls = {}
        if "callwright" in names:
            if options.url:
                urls["callwright"] = options.url
            else:
                workspace = Path(folder.name)
                (workspace / "flows").mkdir()
                (workspace / "flows" / f"{flow['id']}.json").write_text(json.dumps(flow, indent=2), "utf-8")
                port = free_port()
                # SIP on a free port: another engineer's serve may hold 5060
                serve = start_serve(workspace, port, out / "callwright-serve.log", "--sip", "127.0.0.1:0")
                urls["callwright"] = f"http://127.0.0.1:{port}/flows/{flow['id']}"
        if "nodered" in names:
            nodered_port = start_nodered("flows-1000.json")
            nodered = True
            urls["nodered"] = f"http://127.0.0.1:{nodered_port}/"
        print(json.dumps({"urls": urls}), flush=True)
        rows: list[dict] = []
        with sync_playwright() as playwright:
            for run in range(1, options.runs + 1):
                last = run == options.runs
                for name in names:
                    shot = out / f"{name}.png" if options.screenshots and last else None
                    row = {"run": run, **measure(playwright, name, urls[name], *expected[name], shot)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                if "nodered" in names:
                    row = {"run": run, **harness(urls["nodered"], out / f"nodered-harness-{run}.json")}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        saves = None
        if serve and not options.no_save:
            saves = save_rounds(port, flow["id"], options.rounds)
        report(rows, saves, options.blocks, out)
        print(f"\n# results in {out}", flush=True)
    finally:
        if serve:
            stop(serve)
        if nodered:
            stop_nodered()
        folder.cleanup()


if __name__ == "__main__":
    main()
