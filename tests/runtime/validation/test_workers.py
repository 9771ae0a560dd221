"""Validation of sent flows in worker processes: the same report, bounded, off the server."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from blocks.registry import Registry, default_registry
from runtime.validation import (FlowTooLarge, ValidationBusy, ValidationPool, check_flow_text,
                                locate, report_json, validate_flow)
from runtime.validation.workers import NICENESS, shared_validation_pool, validation_options

MAIN = {"schema": "callwright/flow@1", "id": "main", "start": "hi",
        "blocks": {"hi": {"type": "say", "config": {"text": "Hi."}, "exits": {"next": "help"}},
                   "help": {"type": "subflow", "config": {"flow": "helper"},
                            "exits": {"next": "bye"}},
                   "bye": {"type": "end"}}}
HELPER = {"schema": "callwright/flow@1", "id": "helper", "start": "back",
          "blocks": {"back": {"type": "subflow", "config": {"flow": "main"}}}}


def slow(count: int) -> str:
    """Return the text of a flow whose every block is wrong: seconds of work for thousands."""
    blocks = {f"b{i}": {"type": "say", "config": {"text": 5, "bogus": True},
                        "exits": {"next": f"b{i + 1}"}} for i in range(count)}
    return json.dumps({"schema": "callwright/flow@1", "id": "main", "start": "b0",
                       "blocks": blocks})


@pytest.fixture
def pool():
    """Yield a one-worker pool that queues nothing, closed after the test."""
    pool = ValidationPool(workers=1, max_queued=0)
    yield pool
    pool.close()


def report(pool: ValidationPool, doc: dict | str, flow_id: str = "main", **flows) -> dict:
    """Validate a document (a dict is sent indented) with the default registry; return it."""
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    return json.loads(pool.check(text, flow_id=flow_id, registry=default_registry(),
                                 flows=flows))


def test_the_report_is_every_problem_with_pointer_and_line(pool):
    doc = json.loads(json.dumps(MAIN))
    doc["blocks"]["hi"]["type"] = "sayy"
    doc["blocks"]["help"]["config"]["flow"] = "ghost"
    text = json.dumps(doc, indent=2)
    problems = locate(validate_flow(doc, default_registry(), flows={"main": doc}), text,
                      "flows/main.json")
    assert report(pool, text) == json.loads(report_json(problems))
    found = report(pool, text)["problems"]
    assert {"/blocks/hi/type", "/blocks/help/config/flow"} <= {p["pointer"] for p in found}
    assert all(p["line"] and p["file"] == "flows/main.json" for p in found)


def test_subflow_cycles_through_the_workspace_are_found_in_the_worker(pool):
    found = report(pool, MAIN, helper=HELPER)
    assert [p["message"] for p in found["problems"]] == ["subflow cycle: main -> helper -> main"]
    assert pool.pids()  # it ran in a worker process


BOT_FLOW = {"schema": "callwright/flow@1", "id": "main", "start": "nlu",
            "blocks": {"nlu": {"type": "bot", "config": {"bot": "bank"},
                               "exits": {"balance": "bye", "hours": "bye", "nope": "bye"}},
                       "bye": {"type": "end"}}}
BANK = {"schema": "callwright/bot@1", "id": "bank", "languages": ["en"],
        "intents": {"balance": {"examples": {"en": ["my balance"]}},
                    "hours": {"examples": {"en": ["when are you open"]}, "response": "b/hours"}}}


def test_bot_blocks_are_checked_in_the_worker_against_the_workspaces_bots(pool):
    text = json.dumps(BOT_FLOW, indent=2)
    found = json.loads(pool.check(text, flow_id="main", registry=default_registry(), flows={},
                                  bots={"bank": BANK}))["problems"]
    assert [p["pointer"] for p in found] == ["/blocks/nlu/exits/hours", "/blocks/nlu/exits/nope"]
    assert found == [p.as_dict() for p in check_flow_text(text, "main", default_registry(), {},
                                                         {"bank": BANK})]
    unknown = json.loads(pool.check(text, flow_id="main", registry=default_registry(), flows={},
                                    bots={}))["problems"]
    assert [p["pointer"] for p in unknown] == ["/blocks/nlu/config/bot"]


def test_a_flow_over_the_limit_raises_flow_too_large_with_its_line(pool):
    blocks = {f"b{i}": {"type": "end"} for i in range(10_001)}
    text = json.dumps({"schema": "callwright/flow@1", "id": "main", "start": "b0",
                       "blocks": blocks}, indent=2)
    with pytest.raises(FlowTooLarge) as caught:
        pool.check(text, flow_id="main", registry=default_registry(), flows={})
    [problem] = caught.value.problems
    assert (problem.pointer, problem.line) == ("/blocks", 5)
    assert "10,001 blocks, more than the 10,000" in str(caught.value)


def test_a_registry_of_its_own_is_used_here_and_bounded_alike(pool):
    empty = Registry()
    found = json.loads(pool.check(json.dumps(MAIN), flow_id="main", registry=empty, flows={}))
    assert {p["pointer"] for p in found["problems"]} >= {"/blocks/hi/type", "/blocks/bye/type"}
    assert pool.pids() == [] and pool.in_flight == 0


def test_a_full_pool_refuses_at_once_and_says_when_to_retry(pool):
    outcome: dict = {}

    def occupy() -> None:
        outcome["report"] = pool.check(slow(3000), flow_id="main", registry=default_registry(),
                                       flows={})
    thread = threading.Thread(target=occupy)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while pool.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        started = time.monotonic()
        with pytest.raises(ValidationBusy) as caught:
            report(pool, MAIN, helper=HELPER)
        assert time.monotonic() - started < 0.2
        assert caught.value.retry_after_s >= 1 and caught.value.code == "validation_busy"
        assert "[validation] max_queued (CALLWRIGHT_VALIDATION_MAX_QUEUED)" in str(caught.value)
    finally:
        thread.join(60)
    assert json.loads(outcome["report"])["ok"] is False
    assert pool.in_flight == 0 and pool.refused == 1
    assert report(pool, MAIN, helper=HELPER)["ok"] is False  # room again


def test_checks_within_the_bound_wait_their_turn():
    pool = ValidationPool(workers=1, max_queued=2)
    try:
        results: list[dict] = []
        threads = [threading.Thread(target=lambda: results.append(report(pool, slow(300))))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 3 and pool.refused == 0
        assert all(len(r["problems"]) >= 300 for r in results)
    finally:
        pool.close()


def test_workers_run_at_a_lower_priority(pool):
    report(pool, MAIN, helper=HELPER)
    [pid] = pool.pids()
    assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + NICENESS \
        or os.getpriority(os.PRIO_PROCESS, pid) == 19


def test_a_worker_that_died_is_replaced_without_failing_a_check(pool):
    report(pool, MAIN, helper=HELPER)
    [pid] = pool.pids()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    assert report(pool, MAIN)["ok"] is False  # the subflow names no flow of the workspace
    assert pool.pids() and pid not in pool.pids()


def test_check_flow_text_is_the_same_check_in_this_process():
    doc = json.dumps({**MAIN, "id": "other"}, indent=2)
    problems = check_flow_text(doc, "main", default_registry(), {"helper": HELPER})
    messages = [p.message for p in problems]
    assert "flow id 'other' does not match the flow 'main' of the URL" in messages
    assert problems[0].file == "flows/main.json"


def test_the_pool_is_sized_by_the_validation_settings():
    assert validation_options({}) == {"workers": 1, "max_queued": 2}
    pool = ValidationPool.from_settings({"validation": {"workers": 2, "max_queued": 5}})
    assert (pool.size, pool.max_queued) == (2, 5)
    pool.close()
    shared = shared_validation_pool({"validation": {"workers": 2}})
    assert shared is shared_validation_pool({"validation": {"workers": 2}})
    assert shared_validation_pool({}) is not shared and shared._closed


def test_impossible_sizes_are_refused():
    with pytest.raises(ValueError):
        ValidationPool(workers=0)
    with pytest.raises(ValueError):
        ValidationPool(max_queued=-1)
