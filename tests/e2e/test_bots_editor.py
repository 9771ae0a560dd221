"""The bots and responses editors in headless Chromium against a real `callwright serve`: an
analyst edits a bot's intent, tries a phrase on the draft, publishes it (a git commit in her
name, live in the server at once), then edits a response and reads the server's SMS preview.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright. Screenshots are kept in
.callwright/e2e/ (CALLWRIGHT_E2E_ARTIFACTS) to look at.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from browser import chromium, need_chromium, shot, sign_in
from serving import callwright_command, running_serve

PASSWORD = "correct horse battery"

BANK = {"schema": "callwright/bot@1", "id": "bank", "name": "Bank assistant",
        "languages": ["en", "ru"],
        "intents": {"balance": {"examples": {"en": ["what is my balance", "account balance"],
                                             "ru": ["какой у меня баланс"]}},
                    "hours": {"examples": {"en": ["when are you open", "opening hours"],
                                           "ru": ["когда вы работаете"]},
                              "response": "bank/hours"}}}
RESPONSES = {"schema": "callwright/responses@1", "id": "bank", "name": "Bank answers",
             "responses": {"hours": {"text": "We are open 9 to 5.",
                                     "variants": [{"language": "ru",
                                                   "text": "Мы работаем с 9 до 17."}]}}}
ASSISTANT = {"schema": "callwright/flow@1", "id": "assistant", "start": "ask",
             "blocks": {"ask": {"type": "bot", "config": {"bot": "bank"},
                                "exits": {"balance": "bye", "answered": "bye",
                                          "fallback": "bye"}},
                        "bye": {"type": "end", "config": {}}}}
GIT = ["git", "-c", "user.name=ops", "-c", "user.email=ops@example.com"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Serve a git workspace with the bank bot, its responses, a flow using them and Anna."""
    need_chromium()
    workspace = tmp_path_factory.mktemp("workspace")
    for folder, doc in (("bots", BANK), ("responses", RESPONSES), ("flows", ASSISTANT)):
        (workspace / folder).mkdir()
        (workspace / folder / f"{doc['id']}.json").write_text(json.dumps(doc, indent=2), "utf-8")
    subprocess.run([*GIT, "init", "-q"], cwd=workspace, check=True, timeout=60)
    subprocess.run([*GIT, "add", "-A"], cwd=workspace, check=True, timeout=60)
    subprocess.run([*GIT, "commit", "-qm", "start"], cwd=workspace, check=True, timeout=60)
    subprocess.run(callwright_command(
        "user", "add", "anna", "--role", "editor", "--display-name", "Anna Analyst", "--email",
        "anna@example.com", "--password-stdin", "--workspace", str(workspace)),
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, check=True)
    with running_serve(workspace, "--host", "127.0.0.1", log=workspace.parent / "serve.log",
                       timeout=60, stop_timeout=30) as served:
        yield {"url": served.base, "workspace": workspace}


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_an_analyst_edits_an_intent_tries_a_phrase_publishes_and_previews_an_sms(page, server):
    sign_in(page, server["url"], "anna", PASSWORD)
    page.wait_for_url("**/flows")
    page.get_by_role("link", name="Bots", exact=True).click()
    page.get_by_role("link", name="Bank assistant").click()
    page.wait_for_url("**/bots/bank")

    # a new example for `balance`, in English
    page.get_by_role("button", name="balance", exact=True).click()
    examples = page.get_by_role("group", name="In en").get_by_label("Examples (one per line)")
    examples.fill("what is my balance\naccount balance\nhow much money is left on my card")
    # and a new intent, which a flow's bot block gets as an exit once published
    page.get_by_role("button", name="Add an intent").click()
    page.get_by_label("Intent name").fill("lost_card")
    page.get_by_label("Intent name").press("Tab")
    page.get_by_role("button", name="lost_card", exact=True).wait_for()
    page.get_by_role("group", name="In en").get_by_label("Examples (one per line)").fill(
        "I lost my card\nmy card was stolen")
    page.get_by_role("group", name="In ru").get_by_label("Examples (one per line)").fill(
        "я потерял карту\nу меня украли карту")
    page.get_by_role("textbox", name="Phrase", exact=True).fill("how much money is left on my card")
    page.get_by_role("button", name="Classify").click()
    result = page.get_by_test_id("classification")
    result.wait_for()
    assert page.get_by_test_id("intent").inner_text().startswith("balance")
    assert int(page.get_by_test_id("confidence").inner_text().rstrip("%")) >= 50
    shot(page, "bots-1-try-a-phrase")
    assert page.get_by_text("Draft saved").is_visible()  # trying saved the draft first

    page.get_by_role("button", name="Publish…").click()
    page.get_by_label("Note").fill("Money left on the card")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("version 2").wait_for()
    shot(page, "bots-2-published")
    page.get_by_role("button", name="Close").click()
    workspace = server["workspace"]
    published = json.loads((workspace / "bots" / "bank.json").read_text("utf-8"))
    assert "how much money is left on my card" in published["intents"]["balance"]["examples"]["en"]
    assert published["intents"]["lost_card"]["examples"]["ru"] == ["я потерял карту",
                                                                  "у меня украли карту"]
    log = subprocess.run(["git", "log", "-1", "--format=%an|%s"], cwd=workspace, check=True,
                         capture_output=True, text=True, timeout=60).stdout.strip()
    assert log == "Anna Analyst|Publish bot bank version 2: Money left on the card"

    # the flow's bot block has an exit for the new intent; the auto-response `hours` has none
    page.goto(server["url"] + "/flows/assistant")
    exits = page.locator(".react-flow__node[data-id='ask'] .block-exits li")
    exits.first.wait_for()
    names = exits.all_inner_texts()
    assert "lost_card" in names and "balance" in names and "hours" not in names
    shot(page, "bots-3-flow-exits")

    # a response in Russian: Cyrillic goes as UCS-2, 70 units a message, 67 a part
    page.get_by_role("link", name="Responses", exact=True).click()
    page.get_by_role("link", name="Bank answers").click()
    page.wait_for_url("**/responses/bank")
    page.get_by_role("group", name="For every channel and language").get_by_label("Text").fill(
        "Мы работаем ежедневно с девяти утра до пяти вечера, кроме праздничных дней.")
    segments = page.get_by_test_id("sms-segments")
    segments.filter(has_text="UCS-2").wait_for()
    assert segments.inner_text().startswith("2 segments · UCS-2 · 75 units")
    page.get_by_role("group", name="For every channel and language").get_by_label("Text").fill(
        "We are open 9 to 5.")
    segments.filter(has_text="GSM-7").wait_for()
    assert segments.inner_text().startswith("1 segment · GSM-7")
    shot(page, "bots-4-sms-preview")

    # the same pages in Russian
    page.locator("header select").select_option("ru")
    page.get_by_role("link", name="Боты", exact=True).click()
    page.get_by_role("link", name="Bank assistant").click()
    page.get_by_role("heading", name="Проверить фразу").wait_for()
    shot(page, "bots-5-russian")
    assert page.errors == []
