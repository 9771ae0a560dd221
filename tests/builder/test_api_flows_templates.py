"""POST /api/v1/flows/<id>/validate with templates over their limits: a 200 with each problem."""

from __future__ import annotations

import faulthandler
import json
import time
from pathlib import Path

import pytest

from blocks.sdk.limits import TemplateLimitError
from builder.app import create_app

NESTED_LOOPS = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
DOUBLING = ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{{ ns.s }}")
FLOW = {"schema": "callwright/flow@1", "id": "main", "start": "b1", "blocks": {
    "b1": {"type": "say", "config": {"text": "{{ 'a' * 1000000000 }}"}, "exits": {"next": "b2"}},
    "b2": {"type": "say", "config": {"text": "{{ 2 ** 10000000 }}"}, "exits": {"next": "b3"}},
    "b3": {"type": "say", "config": {"text": NESTED_LOOPS}, "exits": {"next": "b4"}},
    "b4": {"type": "set", "config": {"values": {"vars.x": "{{ '%999999999s' % 1 }}"}},
           "exits": {"next": "b5"}},
    "b5": {"type": "say", "config": {"text": DOUBLING}, "exits": {"next": "b6"}},
    "b6": {"type": "say", "config": {"text": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"},
           "exits": {"next": "b7"}},
    "b7": {"type": "end", "config": {"text": "{{ vars.s * vars.n }}"}}}}  # the data decides


@pytest.fixture
def client(tmp_path: Path):
    """Yield a test client of an app over a workspace holding the flow as it was before."""
    (tmp_path / "flows").mkdir()
    live = {"schema": "callwright/flow@1", "id": "main", "start": "hi",
            "blocks": {"hi": {"type": "say", "config": {"text": "Hi."}}}}
    (tmp_path / "flows" / "main.json").write_text(json.dumps(live), "utf-8")
    app = create_app(tmp_path, {"TESTING": True})
    faulthandler.dump_traceback_later(120, exit=True)  # a regression must not hang the suite
    try:
        yield app.test_client()
    finally:
        faulthandler.cancel_dump_traceback_later()
        app.extensions["callwright.runtime"].close()


def test_templates_over_their_limits_are_problems_with_pointers_not_a_500(client) -> None:
    started = time.perf_counter()
    response = client.post("/api/v1/flows/main/validate", data=json.dumps(FLOW, indent=2))
    assert time.perf_counter() - started < 30  # a worker process may be starting up
    assert response.status_code == 200, response.get_data(True)
    report = response.get_json()
    assert report["ok"] is False
    found = {(p["pointer"], p["message"]) for p in report["problems"] if p["severity"] == "error"}
    built, digits, steps = (str(TemplateLimitError(name)) for name in ("built", "digits", "steps"))
    assert found == {
        ("/blocks/b1/config/text", built), ("/blocks/b2/config/text", digits),
        ("/blocks/b3/config/text", steps), ("/blocks/b4/config/values/vars.x", built),
        ("/blocks/b5/config/text", built),
        ("/blocks/b6/config/text", "template syntax error: the template nests too deeply")}
