"""The editor in headless Chromium against a real `callwright serve`: an analyst signs in, builds a
flow by drag and drop, saves, simulates, publishes it to git, meets a conflict and works in Russian.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; nothing downloads a browser.
Screenshots of each step are kept in .callwright/e2e/ (CALLWRIGHT_E2E_ARTIFACTS) to look at.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

# Playwright's import (skipped without it, failed under CI), Debian's chromium, screenshots
from browser import ANNA, VIEWPORT, chromium, need_chromium, recording_page, shot, sync_api
from browser import sign_in as sign_in_as
from serving import add_user, commit_workspace, running_serve

PASSWORD = "correct horse battery"
BLOCKS = 1000
GREETING = {"schema": "callwright/flow@1", "id": "greeting", "name": "Greeting", "start": "hello",
            "blocks": {"hello": {"type": "say", "config": {"text": "Hello from Acme."},
                                 "exits": {"next": "choose"}},
                       "choose": {"type": "menu", "config": {"prompt": "Sales or support?",
                                  "options": [{"key": "1", "label": "Sales", "exit": "sales"},
                                              {"key": "2", "label": "Support", "exit": "support"}]},
                                  "exits": {"sales": "bye", "support": "bye"}},
                       "bye": {"type": "end", "config": {"text": "Goodbye."}}},
            "layout": {"hello": {"x": 0, "y": 0}, "choose": {"x": 300, "y": 0},
                       "bye": {"x": 600, "y": 0}}}

LONG_URL = "https://crm.example.com/api/v2/customers/lookup/by-phone/" + "x" * 150
FORMS = {"schema": "callwright/flow@1", "id": "forms", "name": "Forms", "start": "say",
         "blocks": {"say": {"type": "say", "config": {"text": "Hi"}, "exits": {"next": "call"}},
                    "call": {"type": "http", "config": {"url": LONG_URL}, "exits": {}},
                    "route": {"type": "transfer", "config": {"target": {"number": "+4930123"}}},
                    "calc": {"type": "script", "config": {"code": "x = 1\nif x >\n    pass\n"}},
                    "sub": {"type": "subflow", "config": {"flow": "nowhere"}}},
         "layout": {"say": {"x": 0, "y": 0}, "call": {"x": 300, "y": 0}, "route": {"x": 600, "y": 0},
                    "calc": {"x": 0, "y": 250}, "sub": {"x": 300, "y": 250}}}

LONG_EXIT = "option_{}_with_a_long_exit_name"
# blocks of every height: no summary, a summary that wraps past two lines, many exits, long labels
SHAPES = {"schema": "callwright/flow@1", "id": "shapes", "name": "Shapes", "start": "ask",
          "blocks": {"ask": {"type": "menu", "config": {
                         "prompt": "Press 1 for sales, 2 for support, 3 for billing, 4 for anything else at all, "
                                   "or stay on the line for an operator",
                         "options": [{"key": str(k), "label": f"Option {k}", "exit": LONG_EXIT.format(k)}
                                     for k in range(1, 5)]},
                         "exits": {LONG_EXIT.format(k): "note" for k in range(1, 5)}},
                     "note": {"type": "set", "config": {}, "exits": {"next": "bye"}},
                     "bye": {"type": "end", "config": {"disposition": "completed"}}},
          "layout": {"ask": {"x": 0, "y": 0}, "note": {"x": 320, "y": 60}, "bye": {"x": 640, "y": 0}}}

# Records the `d` of each connection's path as it enters the page, before anything measures it.
FIRST_PATHS = """(() => {
  window.__firstPaths = new Map();
  new MutationObserver((records) => {
    for (const record of records) for (const added of record.addedNodes) {
      if (added.nodeType !== 1) continue;
      const edges = added.matches('.react-flow__edge') ? [added] : added.querySelectorAll('.react-flow__edge');
      for (const edge of edges) {
        const path = edge.querySelector('path.react-flow__edge-path');
        if (path && !window.__firstPaths.has(edge)) window.__firstPaths.set(edge, path.getAttribute('d'));
      }
    }
  }).observe(document, {subtree: true, childList: true});
})()"""

# How far (in flow px) each connection as first drawn ends from its handles as the page lays them
# out now: from the right middle of its exit's handle to the left middle of its target's.
PATHS_OFF = """() => {
  const flow = document.querySelector('.react-flow').getBoundingClientRect();
  const [, x0, y0, zoom] = /translate\\(([-\\d.e]+)px, ([-\\d.e]+)px\\) scale\\(([-\\d.e]+)\\)/
    .exec(document.querySelector('.react-flow__viewport').style.transform).map(Number);
  const at = (x, y) => [(x - flow.left - x0) / zoom, (y - flow.top - y0) / zoom];
  const numbers = (d) => (d.match(/-?[\\d.]+(e-?\\d+)?/g) || []).map(Number);
  const off = [];
  for (const [edge, first] of window.__firstPaths) {
    if (!edge.isConnected) continue;
    const [source, exit] = edge.getAttribute('data-id').split(':');
    const target = /to (.*)$/.exec(edge.getAttribute('aria-label'))[1];
    const block = (id) => document.querySelector(`.react-flow__node[data-id="${id}"]`);
    const out = block(source).querySelector(`.react-flow__handle[data-handleid="${exit}"]`).getBoundingClientRect();
    const into = block(target).querySelector('.react-flow__handle.target').getBoundingClientRect();
    const d = numbers(first);
    const ends = [...at(out.right, out.top + out.height / 2), ...at(into.left, into.top + into.height / 2)];
    const drawn = [d[0], d[1], d[d.length - 2], d[d.length - 1]];
    off.push([edge.getAttribute('data-id'), Math.max(...drawn.map((v, i) => Math.abs(v - ends[i])))]);
  }
  return off;
}"""


def big_flow(blocks: int) -> dict:
    """Return a flow of `blocks` say blocks in a chain, ending in an end block, laid on a grid."""
    ids = [f"b{i:04d}" for i in range(blocks)]
    doc = {"schema": "callwright/flow@1", "id": "big", "name": "Big", "start": ids[0],
           "blocks": {}, "layout": {}}
    for i, block_id in enumerate(ids):
        last = i == blocks - 1
        doc["blocks"][block_id] = ({"type": "end", "config": {}} if last else
                                   {"type": "say", "config": {"text": f"Step {i}"},
                                    "exits": {"next": ids[i + 1]}})
        doc["layout"][block_id] = {"x": (i % 25) * 280, "y": (i // 25) * 200}
    return doc


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Serve a fresh git workspace with one editor user (Anna) and a 1,000-block flow."""
    need_chromium()
    workspace = tmp_path_factory.mktemp("workspace")
    (workspace / "flows").mkdir()
    (workspace / "flows" / "big.json").write_text(json.dumps(big_flow(BLOCKS), indent=2), "utf-8")
    (workspace / "flows" / "greeting.json").write_text(json.dumps(GREETING, indent=2), "utf-8")
    (workspace / "flows" / "forms.json").write_text(json.dumps(FORMS, indent=2), "utf-8")
    (workspace / "flows" / "shapes.json").write_text(json.dumps(SHAPES, indent=2), "utf-8")
    commit_workspace(workspace)
    add_user(workspace, "anna", "editor", PASSWORD, *ANNA)
    with running_serve(workspace, "--host", "127.0.0.1", log=workspace.parent / "serve.log",
                       timeout=60, stop_timeout=30) as served:
        yield {"url": served.base, "workspace": workspace}


@pytest.fixture(scope="module")
def browser():
    """Return a headless Debian Chromium driven by Playwright."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    """Return a fresh page (its own cookies) that records console errors."""
    with recording_page(browser, viewport=VIEWPORT) as page:
        yield page


def sign_in(page, server, password: str = PASSWORD) -> None:
    """Sign in as Anna on the sign-in page."""
    sign_in_as(page, server["url"], "anna", password)


def node(page, block_id: str):
    """Return the canvas node of a block."""
    return page.locator(f".react-flow__node[data-id='{block_id}']")


def connect(page, source: str, exit_name: str, target: str) -> None:
    """Drag from a block's exit handle to another block; wait for the connection drawn."""
    handle = node(page, source).locator(f".react-flow__handle[data-handleid='{exit_name}']")
    handle.drag_to(node(page, target).locator(".react-flow__handle.target"))
    page.locator(f".react-flow__edge[data-id='{source}:{exit_name}']").wait_for()


def settled(page, rounds: int = 50) -> None:
    """Wait until the canvas stops moving (a layout, then fitView's animation): the viewport
    and every block in the same place 150 ms apart. A drag that starts sooner aims at a
    handle that moves away under load."""
    where = "() => [...document.querySelectorAll('.react-flow__viewport, .react-flow__node')]" \
            ".map(e => e.getAttribute('style')).join('|')"
    before = page.evaluate(where)
    for _ in range(rounds):
        page.wait_for_timeout(150)
        now = page.evaluate(where)
        if now == before:
            return
        before = now
    raise AssertionError("the canvas kept moving for 7 s")


def drop_block(page, title: str, x: int, y: int) -> None:
    """Drag a block type from the palette onto the canvas at (x, y) of the canvas."""
    item = page.get_by_role("button", name=f"Add a {title} block")
    item.drag_to(page.locator(".react-flow__pane"), target_position={"x": x, "y": y})


def draft_of(page, server, flow_id: str) -> dict:
    """Return the saved draft as the API serves it (with this page's cookie)."""
    return page.request.get(f"{server['url']}/api/v1/flows/{flow_id}/draft").json()


def test_a_wrong_password_is_refused_on_the_sign_in_page(page, server) -> None:
    sign_in(page, server, password="wrong")
    page.get_by_text("Wrong name or password.").wait_for()
    shot(page, "01-sign-in-refused")


def test_an_analyst_builds_saves_simulates_and_publishes_a_menu(page, server) -> None:
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    page.get_by_role("button", name="New flow").click()
    page.get_by_label("Id").fill("bank_menu")
    page.get_by_label("Name", exact=True).fill("Bank menu")
    page.get_by_role("button", name="Create a flow").click()
    page.wait_for_url("**/flows/bank_menu")
    node(page, "end").wait_for()
    shot(page, "02-new-flow")

    drop_block(page, "Say", 150, 150)
    node(page, "say").wait_for()
    page.locator("#root_text").fill("Welcome to Acme Bank.")
    drop_block(page, "Menu", 450, 150)
    node(page, "menu").wait_for()
    page.locator("#root_prompt").fill("For your balance press 1. For an agent press 0.")
    for index, (key, label, exit_name) in enumerate([("1", "Balance", "balance"),
                                                      ("0", "Agent", "agent")]):
        if index:
            page.locator("#root_options > button.rjsf-array-item-add").click()
        page.locator(f"#root_options_{index}_key").fill(key)
        page.locator(f"#root_options_{index}_label").fill(label)
        page.locator(f"#root_options_{index}_exit").fill(exit_name)
    node(page, "menu").locator(".react-flow__handle[data-handleid='agent']").wait_for()
    page.get_by_role("button", name="Add a End block").click()  # the keyboard way: no drag
    node(page, "end_2").wait_for()
    page.get_by_label("Block id").fill("goodbye")
    page.get_by_label("Block id").press("Enter")
    node(page, "goodbye").wait_for()
    page.get_by_role("button", name="Auto-layout").click()
    sync_api.expect(page.get_by_role("button", name="Auto-layout")).to_be_enabled()  # laid out
    settled(page)
    connect(page, "say", "next", "menu")
    connect(page, "menu", "balance", "end")
    connect(page, "menu", "agent", "goodbye")
    node(page, "say").click()
    page.get_by_role("button", name="Make this the start").click()
    shot(page, "03-built")

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Draft saved").wait_for()
    page.reload()
    node(page, "goodbye").wait_for()
    doc = draft_of(page, server, "bank_menu")
    assert doc["start"] == "say"
    assert doc["blocks"]["say"] == {"type": "say", "config": {"text": "Welcome to Acme Bank."},
                                    "exits": {"next": "menu"}}
    assert doc["blocks"]["menu"]["exits"] == {"balance": "end", "agent": "goodbye"}
    assert [o["exit"] for o in doc["blocks"]["menu"]["config"]["options"]] == ["balance", "agent"]
    assert set(doc["layout"]) == {"say", "menu", "end", "goodbye"}
    shot(page, "04-reloaded")

    node(page, "menu").click()
    page.get_by_role("tab", name="Block").click()
    page.locator("#root_timeout_s").fill("0")
    page.locator("#root_timeout_s").blur()
    page.locator(".block-form .error-detail").first.wait_for()
    node(page, "menu").locator(".problem-badge.error").wait_for()  # the server's check too
    shot(page, "06-invalid-field")
    page.locator("#root_timeout_s").fill("5")
    page.get_by_role("button", name="Publish…").click()
    page.get_by_role("dialog").get_by_label("Note").fill("First menu")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published as version 1.").wait_for()
    shot(page, "07-published")
    log = subprocess.run(["git", "log", "-1", "--format=%an|%s"], cwd=server["workspace"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("Anna Analyst|") and "bank_menu" in log
    published = json.loads((server["workspace"] / "flows" / "bank_menu.json").read_text("utf-8"))
    assert published["blocks"]["menu"]["config"]["timeout_s"] == 5
    # the file git holds is byte for byte what `callwright fmt` would write
    check = subprocess.run([sys.executable, "-m", "builder.cli", "fmt", "--check",
                            str(server["workspace"] / "flows" / "bank_menu.json")],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert subprocess.run(["git", "status", "--porcelain", "flows"], cwd=server["workspace"],
                          capture_output=True, text=True, check=True).stdout == ""
    assert page.errors == []


def test_the_simulator_chats_with_the_draft_and_lights_the_path_walked(page, server) -> None:
    served = page.request.get(server["url"] + "/api/v1/openapi.json").json()
    if "/flows/{flow_id}/simulations" not in served["paths"]:
        pytest.skip("this server has no simulations API yet")
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    page.goto(server["url"] + "/flows/greeting")
    node(page, "hello").wait_for()
    page.get_by_role("tab", name="Simulator").click()
    page.get_by_role("button", name="Start", exact=True).click()
    # in the transcript: the canvas shows the say block's text too
    page.locator(".simulator .transcript").get_by_text("Hello from Acme.").wait_for()
    page.get_by_role("group", name="Choices").get_by_role("button", name="Support").click()
    page.get_by_text("The session has ended.").wait_for()
    assert "mark-walked" in node(page, "hello").locator(".block-node").get_attribute("class")
    assert "mark-current" in node(page, "bye").locator(".block-node").get_attribute("class")
    assert page.locator(".react-flow__edge.edge-walked").count() == 2
    shot(page, "05-simulated")
    page.get_by_label("Channel").select_option("voice")
    page.get_by_role("button", name="Start again").click()
    page.get_by_role("group", name="Phone keypad").get_by_role("button", name="Key 1").click()
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("The session has ended.").wait_for()
    shot(page, "05b-simulated-voice")
    assert page.errors == []


def test_two_pages_saving_the_same_draft_meet_a_conflict_not_an_overwrite(browser, server) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    first, second = context.new_page(), context.new_page()
    sign_in(first, server)
    first.get_by_role("heading", name="Flows").wait_for()
    for page in (first, second):
        page.goto(server["url"] + "/flows/big")
        node(page, "b0000").wait_for()
    for page, text in ((second, "Theirs"), (first, "Mine")):
        node(page, "b0001").click()
        page.locator("#root_text").fill(text)
        page.get_by_role("button", name="Save", exact=True).click()
    second.get_by_text("Draft saved").wait_for()
    first.get_by_text("The flow was changed by someone else").wait_for()
    shot(first, "08-conflict")
    first.get_by_role("button", name="Reload theirs").click()
    first.get_by_text("The flow was changed by someone else").wait_for(state="detached")
    assert draft_of(first, server, "big")["blocks"]["b0001"]["config"]["text"] == "Theirs"
    context.close()


def test_the_interface_switches_to_russian_and_stays_so(page, server) -> None:
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    page.get_by_label("Language").first.select_option("ru")
    page.get_by_role("heading", name="Сценарии").wait_for()
    shot(page, "09-russian")
    page.wait_for_timeout(500)  # the choice is saved for the user
    page.reload()
    page.get_by_role("heading", name="Сценарии").wait_for()

    # the blocks speak Russian too, in their manifests' own words: palette, nodes and forms
    page.goto(server["url"] + "/flows/greeting")
    palette = page.locator(".palette")
    palette.get_by_role("button", name="Добавить блок «Меню»").wait_for()
    palette.locator("h3", has_text="Диалог").wait_for()
    assert node(page, "choose").locator(".block-title").inner_text() == "Меню"
    assert "далее" in node(page, "hello").locator(".block-exits").inner_text()
    palette.get_by_role("searchbox").fill("рабочие")
    assert palette.locator(".palette-item").all_inner_texts() == ["Рабочие часы"]
    palette.get_by_role("searchbox").fill("")
    node(page, "choose").click()
    page.get_by_role("tab", name="Блок").click()
    page.locator(".block-panel h2", has_text="Меню").wait_for()
    assert page.locator("label[for='root_prompt']").inner_text().startswith("Приглашение")
    shot(page, "09-russian-blocks")

    with page.expect_response(lambda r: r.url.endswith("/api/v1/session")
                              and r.request.method == "PATCH"):  # saved for the user
        page.get_by_label("Язык").first.select_option("en")
    palette.get_by_role("button", name="Add a Menu block").wait_for()
    assert page.locator("label[for='root_prompt']").inner_text().startswith("Prompt")
    page.goto(server["url"] + "/")
    page.get_by_role("heading", name="Flows").wait_for()


def test_block_forms_take_json_values_show_errors_once_and_stay_in_the_panel(page, server) -> None:
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    page.goto(server["url"] + "/flows/forms")
    body = page.locator(".side-panel .panel-body").first

    def fits() -> bool:
        return body.evaluate("e => e.scrollWidth <= e.clientWidth")

    # a field of any JSON value: the typed text stays while it is not JSON, the value when it is
    node(page, "call").click()
    json_body = page.locator("#root_json")
    json_body.fill('{"account": "{{ vars.account }}",\n "tries": [1, 2')
    page.locator(".json-error", has_text="line 2, column 16").wait_for()
    assert json_body.input_value().endswith("[1, 2")
    json_body.fill('{"account": "{{ vars.account }}", "note": "' + "long " * 60 + '"}')
    page.locator(".json-error").wait_for(state="detached")
    assert page.locator(".unsupported-field").count() == 0
    assert fits()
    json_body.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "root_body"
    shot(page, "11-json-field")

    # the form's own error once, at the top; no field red for it
    node(page, "say").click()
    page.locator("#root_text").fill("")
    page.locator(".form-errors", has_text="Fill in exactly one of").wait_for()
    red = page.evaluate("""() => [...document.querySelectorAll('.block-form input, .block-form textarea,'
        + ' .block-form select')].filter(e => getComputedStyle(e).borderTopColor === 'rgb(198, 40, 40)').length""")
    assert red == 0
    shot(page, "12-form-error")

    # one label for a choice of one property
    node(page, "route").click()
    assert page.locator("label[for='root_target__choice']").inner_text() == "Target*"
    assert page.locator(".block-form legend").all_inner_texts() == ["Transfer"]
    page.locator("#root_target__choice").select_option("queue")
    page.locator("#root_target_queue").fill("support")
    assert page.locator("#root_target_number").count() == 0

    # a line on code problems only, the code's own; Esc then Tab leaves the code editor
    node(page, "calc").click()
    page.locator(".block-form .error-detail", has_text="(line 2)").wait_for()
    page.locator("[data-field='root_code'] .cm-content").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.cm-editor') === null")
    node(page, "sub").click()
    page.locator(".block-form .error-detail", has_text="nowhere").wait_for()
    assert "(line" not in page.locator(".block-form .error-detail").first.inner_text()
    assert fits()
    shot(page, "13-code-line")

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Draft saved").wait_for()
    blocks = draft_of(page, server, "forms")["blocks"]
    assert blocks["call"]["config"]["json"] == {"account": "{{ vars.account }}", "note": "long " * 60}
    assert blocks["route"]["config"]["target"] == {"queue": "support"}
    assert page.errors == []


def test_a_thousand_block_flow_is_drawn_whole(page, server) -> None:
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    started = time.monotonic()
    page.goto(server["url"] + "/flows/big")
    page.wait_for_function("n => document.querySelectorAll('.react-flow__node').length >= n",
                           arg=BLOCKS, polling="raf", timeout=60_000)
    elapsed = time.monotonic() - started
    shot(page, "10-thousand-blocks")
    assert elapsed < 20, f"{elapsed:.1f} s to draw {BLOCKS} blocks"


@pytest.mark.parametrize("flow_id, blocks, edges", [("shapes", 3, 5), ("greeting", 3, 3), ("big", BLOCKS, BLOCKS - 1)])
def test_connections_are_drawn_with_their_blocks_where_the_measured_handles_put_them(
        page, server, flow_id, blocks, edges) -> None:
    sign_in(page, server)
    page.get_by_role("heading", name="Flows").wait_for()
    page.add_init_script(FIRST_PATHS)
    page.goto(server["url"] + f"/flows/{flow_id}")
    # the first frame with every block in it has every connection too
    together = page.wait_for_function(
        """([n, e]) => document.querySelectorAll('.react-flow__node').length >= n
             && [document.querySelectorAll('.react-flow__edge').length]""",
        arg=[blocks, edges], polling="raf", timeout=60_000).json_value()
    assert together == [edges]
    # drawn before React Flow measured a block, each runs from its exit's handle to its target's
    off = page.evaluate(PATHS_OFF)
    assert len(off) == edges
    assert [(edge, most) for edge, most in off if most > 0.5] == []
    shot(page, f"11-connections-{flow_id}")
    assert page.errors == []
