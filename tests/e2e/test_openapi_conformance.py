"""The OpenAPI document against a real `callwright serve`, checked by schemathesis.

Schemathesis reads /api/v1/openapi.json from the running server and sends every operation in
it requests made from the document (examples, boundary and negative values, random data, then
chains along the document's links), as an admin's API token. Every answer must be something
other than a 500, carry a status the document lists for that operation, and have the content
type and body schema the document gives for that status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

from serving import add_user, commit_workspace, free_port, running_serve, stop

TOKEN = "schemathesis-admin-token-0123456789abcdef"
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# Generated requests per operation and phase, made the same way on every run (schemathesis's
# deterministic generation): 42 operations take about 40 s on two cores.
EXAMPLES = 25
# A deeper run for a developer: CALLWRIGHT_SCHEMATHESIS_MAX_TIME=600 repeats fuzzing and stateful
# chains until that many seconds are spent (what it reaches then depends on the machine's speed).
MAX_TIME_S = int(os.environ.get("CALLWRIGHT_SCHEMATHESIS_MAX_TIME") or 0)
START_TIMEOUT_S = 120.0  # normally ~3 s; a loaded shared machine has taken over 60 s to import
RUN_TIMEOUT_S = 300.0 + MAX_TIME_S  # the whole schemathesis run; normally about 40 s
REQUEST_TIMEOUT_S = 20.0  # one request; a chat turn or a publish answers in milliseconds
# Operations that no generated request can get past 401, by design: the signed webhooks need an
# HMAC of its exact body made with the workspace's secret (docs/webhooks.md).
SIGNED = {"POST /channels/webhook", "POST /channels/sms"}
SETTINGS = f"""
[api]
tokens = ["{TOKEN}"]

[webhooks]
secret = "schemathesis-webhook-secret-0123"
"""


@pytest.fixture
def served(example_workspace: Path, tmp_path: Path):
    """Serve a git copy of the example workspace with one user and an admin token; yield its URL.

    A user makes sign-in required, as in production (no local mode). The task worker is off:
    it would POST status callbacks and send SMS and webhook replies to the addresses the
    generated requests name, which lie outside this machine; what it would send stays queued.
    """
    with (example_workspace / "callwright.toml").open("a", encoding="utf-8") as settings:
        settings.write(SETTINGS)
    commit_workspace(example_workspace)
    add_user(example_workspace, "ops", "admin", "correct horse battery")
    with running_serve(example_workspace, "--sip", f"127.0.0.1:{free_port()}", "--no-worker",
                       log=tmp_path / "serve.log", cwd=example_workspace,
                       timeout=START_TIMEOUT_S, stop_timeout=10) as server:
        yield server.base, server.log


def post(base: str, path: str, body: dict) -> dict:
    """POST JSON to the API as the admin token; return the answer's JSON."""
    request = urllib.request.Request(f"{base}/api/v1{path}", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def seeded(base: str) -> dict[str, str]:
    """Start a simulation, an execution and a campaign; return their ids (and the example bot's)
    by path parameter.

    Nothing in the document names one of these ids but the answer of the POST that made it,
    which schemathesis follows (the document's links) only now and then in a bounded run; given
    as a dictionary, they let about half of the requests to these operations reach a real one.
    """
    chat = {"channel": "chat", "to": "visitor-1"}
    return {
        "simulation_id": post(base, "/flows/support-bot/simulations",
                              {"channel": "chat", "trigger": "hello"})["simulation"],
        "execution_id": post(base, "/flows/support-bot/executions", chat)["execution"],
        "campaign_id": post(base, "/campaigns", {"flow": "support-bot", "channel": "chat",
                                                 "contacts": [{"to": "visitor-1"}],
                                                 "concurrency": 1})["campaign"],
        "bot_id": "bank",  # the example workspace's bot
    }


def configuration(ids: dict[str, str]) -> str:
    """Return a schemathesis.toml that draws each seeded id for its parameter half the time."""
    lines = []
    for name, value in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = [{json.dumps(value)}]", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in ids]
    return "\n".join(lines) + "\n"


def schemathesis(base: str, folder: Path) -> tuple[int, str, list[dict]]:
    """Run schemathesis against the served document; return its exit code, output and events."""
    config = folder / "schemathesis.toml"
    config.write_text(configuration(seeded(base)), "utf-8")
    argv = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
            f"{base}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {TOKEN}", "--checks", ",".join(CHECKS),
            # every path: schemathesis leaves out the operation that served the document
            # (GET /openapi.json) unless a filter selects it
            "--include-path-regex", "^/",
            "--max-examples", str(EXAMPLES), "--generation-deterministic", "--workers", "1",
            "--request-timeout", str(REQUEST_TIMEOUT_S), "--no-color",
            "--report", "ndjson", "--report-ndjson-path", str(folder / "events.ndjson")]
    if MAX_TIME_S:
        argv += ["--max-time", str(MAX_TIME_S)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               cwd=folder, text=True)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stop(process, 10)
        output, _ = process.communicate()
        pytest.fail(f"schemathesis did not finish within {RUN_TIMEOUT_S:g} s:\n{output}")
    (folder / "schemathesis.txt").write_text(output, "utf-8")  # to read after a passing run
    report = folder / "events.ndjson"
    events = [json.loads(line) for line in report.read_text().splitlines()] \
        if report.exists() else []
    return process.returncode, output, events


def answers(events: list[dict]) -> dict[str, set[int]]:
    """Return the statuses the server answered, by operation ("METHOD /path" as documented)."""
    found: dict[str, set[int]] = defaultdict(set)
    for event in events:
        recorder = event.get("ScenarioFinished", {}).get("recorder", {})
        for case_id, interaction in recorder.get("interactions", {}).items():
            case = recorder["cases"][case_id]["value"]
            if interaction.get("response") is not None:
                found[f"{case['method']} {case['path']}"].add(
                    interaction["response"]["status_code"])
    return found


def operations(base: str) -> set[str]:
    """Return every operation of the served document, as "METHOD /path"."""
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=10) as answer:
        document = json.load(answer)
    return {f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in ("get", "put", "post", "delete", "patch")}


def test_every_generated_request_gets_an_answer_the_document_describes(served, tmp_path):
    base, log = served
    code, output, events = schemathesis(base, tmp_path)
    logged = log.read_text(errors="replace")
    assert code == 0, f"schemathesis found failures:\n{output}\n--- serve's log (end):\n" \
                      f"{logged[-20000:]}"
    # nothing failed out of sight either, behind an answer that looked right
    assert "Traceback" not in logged, logged[-20000:]
    documented = operations(base)
    # (schemathesis also tries methods the document does not list: 405, which it checks itself)
    statuses = {label: seen for label, seen in answers(events).items() if label in documented}
    # nothing left out: every operation was sent requests, and the token got past sign-in
    assert set(statuses) == documented, output
    shut = {label for label, seen in statuses.items() if seen <= {401, 403}}
    assert shut == SIGNED, statuses
