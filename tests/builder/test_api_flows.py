"""GET /api/v1/flows, GET /api/v1/flows/<id> and POST /api/v1/flows/<id>/validate."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path

import pytest

import schemas
from builder.app import create_app
from runtime.validation import MAX_BLOCKS, shared_validation_pool, workers

HELPER = {"schema": "callwright/flow@1", "id": "helper", "start": "hi",
          "blocks": {"hi": {"type": "say", "config": {"text": "Helping."}}}}
MAIN = {"schema": "callwright/flow@1", "id": "main", "name": "Main line", "start": "welcome",
        "blocks": {
            "welcome": {"type": "say", "config": {"text": "Welcome."}, "exits": {"next": "help"}},
            "help": {"type": "subflow", "config": {"flow": "helper"}, "exits": {"next": "bye"}},
            "bye": {"type": "end", "config": {"text": "Bye."}}}}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Return a workspace with two live flows (main calls helper) and one broken file."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.json").write_text(json.dumps(MAIN, indent=2), "utf-8")
    (flows / "helper.json").write_text(json.dumps(HELPER, indent=2), "utf-8")
    (flows / "broken.json").write_text('{"schema": "callwright/flow@1", "id": "broken",', "utf-8")
    return tmp_path


@pytest.fixture
def client(workspace: Path):
    """Yield a test client of an app over the workspace."""
    app = create_app(workspace, {"TESTING": True})
    yield app.test_client()
    app.extensions["callwright.runtime"].close()


def validate(client, flow_id: str, doc: dict | str, **kwargs) -> dict:
    """POST a document (a dict is sent as indented JSON text) and return the 200 report."""
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    response = client.post(f"/api/v1/flows/{flow_id}/validate", data=text, **kwargs)
    assert response.status_code == 200, response.get_data(True)
    report = response.get_json()
    assert set(report) == {"ok", "problems"}
    return report


def test_every_flow_file_is_listed_by_id_with_name_and_live_version(client) -> None:
    flows = client.get("/api/v1/flows").get_json()["flows"]
    assert [(f["id"], f["name"]) for f in flows] == [("broken", "broken"), ("helper", "helper"),
                                                     ("main", "Main line")]
    assert flows[0]["live"] is None  # its file does not parse: it never went live
    live = [f["live"] for f in flows[1:]]
    assert all(version["number"] == 1 and version["content_hash"] for version in live)
    assert live[0]["content_hash"] != live[1]["content_hash"]
    assert all(f["draft"] is None for f in flows)


def test_a_flow_is_read_with_its_version_as_etag(client) -> None:
    version = {f["id"]: f["live"] and f["live"]["content_hash"]
               for f in client.get("/api/v1/flows").get_json()["flows"]}
    response = client.get("/api/v1/flows/main")
    assert response.status_code == 200
    assert response.get_json() == MAIN
    assert response.headers["ETag"] == f'"{version["main"]}"'


def test_a_read_with_the_current_etag_is_a_304(client) -> None:
    etag = client.get("/api/v1/flows/main").headers["ETag"]
    response = client.get("/api/v1/flows/main", headers={"If-None-Match": etag})
    assert response.status_code == 304
    stale = client.get("/api/v1/flows/main", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200


def test_a_flow_that_is_not_live_is_a_404(client) -> None:
    for flow_id in ("broken", "nothing"):
        response = client.get(f"/api/v1/flows/{flow_id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "flow_not_found"


def test_a_valid_document_is_ok_with_no_problems(client) -> None:
    assert validate(client, "main", MAIN) == {"ok": True, "problems": []}


def test_a_document_may_be_sent_as_application_json(client) -> None:
    response = client.post("/api/v1/flows/main/validate", json=MAIN)
    assert response.get_json() == {"ok": True, "problems": []}


def test_every_problem_is_reported_with_pointer_block_and_line(client) -> None:
    doc = copy.deepcopy(MAIN)
    doc["blocks"]["welcome"]["type"] = "sayy"
    doc["blocks"]["help"]["exits"]["next"] = "nowhere"
    report = validate(client, "main", doc)
    assert report["ok"] is False
    by_pointer = {p["pointer"]: p for p in report["problems"]}
    assert set(by_pointer) == {"/blocks/welcome/type", "/blocks/help/exits/next", "/blocks/bye"}
    assert by_pointer["/blocks/bye"]["severity"] == "warning"  # nothing leads there any more
    unknown = by_pointer["/blocks/welcome/type"]
    assert unknown["severity"] == "error" and unknown["block"] == "welcome"
    assert "sayy" in unknown["message"]
    text = json.dumps(doc, indent=2).splitlines()
    assert '"sayy"' in text[unknown["line"] - 1]
    assert unknown["file"] == "flows/main.json"


def test_warnings_alone_leave_the_document_ok(client) -> None:
    doc = copy.deepcopy(MAIN)
    doc["blocks"]["orphan"] = {"type": "say", "config": {"text": "Nobody comes here."}}
    report = validate(client, "main", doc)
    assert report["ok"] is True
    assert [(p["severity"], p["pointer"]) for p in report["problems"]] == [
        ("warning", "/blocks/orphan")]


def test_malformed_json_is_reported_with_line_and_column(client) -> None:
    report = validate(client, "main", '{\n  "schema": "callwright/flow@1",\n  "id": }')
    assert report["ok"] is False
    [problem] = report["problems"]
    assert (problem["line"], problem["column"]) == (3, 9)
    assert problem["pointer"] == ""


def test_a_repeated_key_is_reported_not_silently_dropped(client) -> None:
    text = json.dumps(MAIN, indent=2).replace('"name": "Main line",',
                                              '"name": "Main line",\n  "name": "Again",')
    report = validate(client, "main", text)
    assert report["ok"] is False
    assert report["problems"][0]["pointer"] == "/name"


def test_the_document_id_must_be_the_flow_id_of_the_url(client) -> None:
    report = validate(client, "other", MAIN)
    assert report["ok"] is False
    [problem] = report["problems"]
    assert problem["pointer"] == "/id"
    assert "'main'" in problem["message"] and "'other'" in problem["message"]
    assert problem["line"] == 3


def test_subflows_are_checked_against_the_workspace_flows(client) -> None:
    doc = copy.deepcopy(MAIN)
    doc["blocks"]["help"]["config"]["flow"] = "ghost"
    report = validate(client, "main", doc)
    assert [p["pointer"] for p in report["problems"]] == ["/blocks/help/config/flow"]
    assert "ghost" in report["problems"][0]["message"]


def test_a_subflow_cycle_through_a_live_flow_is_an_error(client) -> None:
    helper = copy.deepcopy(HELPER)
    helper["blocks"]["hi"]["exits"] = {"next": "back"}
    helper["blocks"]["back"] = {"type": "subflow", "config": {"flow": "main"}}
    report = validate(client, "helper", helper)
    assert report["ok"] is False
    assert "helper -> main -> helper" in report["problems"][0]["message"]


def test_validation_changes_nothing(client, workspace: Path) -> None:
    before = (workspace / "flows" / "main.json").read_bytes()
    doc = copy.deepcopy(MAIN)
    doc["name"] = "Renamed"
    validate(client, "main", doc)
    assert client.get("/api/v1/flows/main").get_json()["name"] == "Main line"
    assert (workspace / "flows" / "main.json").read_bytes() == before


def test_a_body_that_is_not_utf8_is_a_400(client) -> None:
    response = client.post("/api/v1/flows/main/validate", data=b'{"id": "\xff"}')
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def chain(count: int, flow_id: str = "main") -> dict:
    """Return a valid flow of `count` blocks, each saying a line and going on to the next."""
    blocks = {f"b{i}": {"type": "say", "config": {"text": f"Line {i}."},
                        "exits": {"next": f"b{i + 1}"}} for i in range(count - 1)}
    blocks[f"b{count - 1}"] = {"type": "end"}
    return {"schema": "callwright/flow@1", "id": flow_id, "start": "b0", "blocks": blocks}


def slow(count: int, flow_id: str = "main") -> dict:
    """Return a flow whose every block is wrong: seconds of validation for a few thousand."""
    doc = chain(count, flow_id)
    for block in doc["blocks"].values():
        block["config"] = {"text": 5, "bogus": True}
    return doc


def test_a_flow_over_the_block_limit_is_a_413_naming_the_limit(client) -> None:
    text = json.dumps(chain(10_001), indent=2)
    started = time.monotonic()
    response = client.post("/api/v1/flows/main/validate", data=text)
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "flow_too_large"
    assert error["message"] == ("the flow has 10,001 blocks, more than the 10,000 a flow may "
                                "have: split it into subflows")
    [detail] = error["details"]
    assert (detail["pointer"], detail["severity"]) == ("/blocks", "error")
    assert '"blocks"' in text.splitlines()[detail["line"] - 1]
    assert time.monotonic() - started < 10  # refused on counting, not after every check


def test_the_block_limit_comes_from_the_flow_schema() -> None:
    blocks = schemas.load("flow")["properties"]["blocks"]
    assert blocks["maxProperties"] == MAX_BLOCKS == 10_000


def test_validation_runs_in_a_worker_process_not_in_the_server(client, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("validated in the server process")
    # the worker processes are started fresh, without this patch
    monkeypatch.setattr(workers, "validate_flow", refuse)
    doc = copy.deepcopy(MAIN)
    doc["blocks"]["help"]["config"]["flow"] = "ghost"
    report = validate(client, "main", doc)
    assert [p["pointer"] for p in report["problems"]] == ["/blocks/help/config/flow"]


def test_a_full_validation_pool_answers_503_at_once_with_retry_after(workspace: Path) -> None:
    (workspace / "callwright.toml").write_text("[validation]\nworkers = 1\nmax_queued = 0\n",
                                               "utf-8")
    app = create_app(workspace, {"TESTING": True})
    pool = shared_validation_pool(app.extensions["callwright.runtime"].workspace.settings)
    first: dict = {}

    def occupy() -> None:
        response = app.test_client().post("/api/v1/flows/main/validate",
                                          data=json.dumps(slow(3000)))
        first["status"] = response.status_code
    thread = threading.Thread(target=occupy)
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while pool.in_flight == 0 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        started = time.monotonic()
        response = app.test_client().post("/api/v1/flows/main/validate", json=MAIN)
        assert time.monotonic() - started < 0.5
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "validation_busy"
        assert "[validation] workers (CALLWRIGHT_VALIDATION_WORKERS)" in error["message"]
        assert int(response.headers["Retry-After"]) >= 1
        thread.join(60)
        assert first["status"] == 200
        again = app.test_client().post("/api/v1/flows/main/validate", json=MAIN)
        assert again.get_json() == {"ok": True, "problems": []}
    finally:
        thread.join(60)
        app.extensions["callwright.runtime"].close()
