"""The web-chat widget in headless Chromium, on a page of another origin than `callwright serve`.

A small HTTP server on another port serves a shop's page holding the one script tag; the widget
talks to a real `callwright serve` of the example workspace (its task worker too): it chats with
the support bot, takes a quick reply, keeps the conversation across a reload, shows a message a
flow's `send` pushed later, and is refused on an origin that settings do not allow.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from browser import chromium
from needs import missing
from serving import free_port, running_serve

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "builder" / "editor" / "widget.js"
TIMEOUT_MS = 15_000
# a flow that answers at once and pushes its real answer later, through the task worker
LATER = {"schema": "callwright/flow@1", "id": "parcel", "name": "Parcel", "start": "ack",
         "blocks": {"ack": {"type": "say", "config": {"text": "Let me look for your parcel."},
                            "exits": {"next": "push"}},
                    "push": {"type": "send", "config": {"channel": "chat",
                                                        "to": "{{ contact.from }}",
                                                        "text": "Your parcel left the warehouse."},
                             "exits": {"next": "wait"}},
                    "wait": {"type": "ask", "config": {"prompt": "Anything else?",
                                                       "variable": "vars.more", "kind": "text"},
                             "exits": {"next": "done", "failed": "done"}},
                    "done": {"type": "end", "config": {}}}}


class Site:
    """A page server on 127.0.0.1: another origin, with the widget's script tag on its page."""

    def __init__(self, serve_base: str, route: str, lang: str = "en") -> None:
        page = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                f'<title>Shop</title></head><body><h1>Shop</h1>'
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sites():
    """Reserve the two page origins first: settings name the allowed one before serve starts."""
    made: list[Site] = []
    yield made
    for site in made:
        site.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, sites):
    """Serve the example workspace plus the parcel flow, allowing one page origin."""
    if not WIDGET.is_file():
        missing(f"{WIDGET} is not built: run scripts/build-editor.sh")
    workspace = tmp_path_factory.mktemp("webchat") / "workspace"
    shutil.copytree(ROOT / "examples" / "workspace", workspace,
                    ignore=shutil.ignore_patterns(".callwright"))
    (workspace / "flows" / "parcel.json").write_text(json.dumps(LATER), "utf-8")
    routes = json.loads((workspace / "routes.json").read_text("utf-8"))
    routes["chat"]["parcel"] = "parcel"
    (workspace / "routes.json").write_text(json.dumps(routes), "utf-8")
    # the page servers need the serve URL, serve needs their origins: pick serve's port first
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    allowed, other = Site(base, "web"), Site(base, "web")
    parcel = Site(base, "parcel", lang="ru")
    sites.extend([allowed, other, parcel])
    with (workspace / "callwright.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[chat]\norigins = ["{allowed.origin}", "{parcel.origin}"]\n')
    with running_serve(workspace, "--workers", "2", port=port,
                       log=workspace.parent / "serve.log") as serve:
        yield {"base": serve.base, "allowed": allowed, "other": other, "parcel": parcel,
               "log": serve.log}


@pytest.fixture(scope="module")
def browser():
    """Return a headless Debian Chromium."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """Return a fresh page (its own storage) that records script errors."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def log_of(page):
    """Return the widget's conversation log (inside its shadow root)."""
    return page.get_by_role("log")


def test_a_visitor_chats_takes_a_quick_reply_and_keeps_the_conversation_across_a_reload(
        page, served) -> None:
    page.goto(served["allowed"].origin + "/")
    page.get_by_role("button", name="Chat with us").click()
    field = page.get_by_role("textbox", name="Your message")
    assert field.evaluate("e => e === e.getRootNode().activeElement")  # focus moved in
    field.fill("hello")
    field.press("Enter")
    log = log_of(page)
    log.get_by_text("Hi, I am the Acme support bot.").wait_for()
    replies = page.get_by_role("group", name="Quick replies")
    replies.get_by_role("button", name="Opening hours").click()
    log.get_by_text("We are open 8 to 20 on weekdays").wait_for()
    assert replies.get_by_role("button").all_inner_texts() == ["Yes", "No"]

    page.reload()
    log = log_of(page)
    # open as it was left, the whole conversation replayed in order, the quick replies back
    log.get_by_text("We are open 8 to 20 on weekdays").wait_for()
    texts = [text.split(": ", 1)[1] for text in log.get_by_role("listitem").all_text_contents()]
    assert texts == ["hello", "Hi, I am the Acme support bot.", "What can I help you with?",
                     "Opening hours", "We are open 8 to 20 on weekdays and 9 to 14 on Saturdays.",
                     "Anything else?"]
    page.get_by_role("group", name="Quick replies").get_by_role("button", name="No").click()
    log.get_by_text("Thanks for chatting with Acme. Goodbye!").wait_for()
    log.get_by_text("The conversation has ended.").wait_for()
    assert page.errors == []


def test_the_chat_works_from_the_keyboard_alone(page, served) -> None:
    page.goto(served["allowed"].origin + "/")
    page.keyboard.press("Tab")  # the launcher is the page's only control
    page.keyboard.press("Enter")
    page.keyboard.type("balance")
    page.keyboard.press("Enter")
    log = log_of(page)
    log.get_by_text("Your balance is 42.00 EUR.").wait_for()
    # a live region: screen readers read each new message as it comes
    assert log.get_attribute("aria-live") == "polite"
    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name="Chat with us")
    assert launcher.is_visible()
    assert launcher.evaluate("e => e === e.getRootNode().activeElement")


def test_messages_that_come_while_the_panel_is_closed_are_counted_on_the_launcher(
        page, served) -> None:
    page.goto(served["allowed"].origin + "/")
    page.get_by_role("button", name="Chat with us").click()
    field = page.get_by_role("textbox", name="Your message")
    field.fill("hello")
    field.press("Enter")
    log_of(page).get_by_text("Hi, I am the Acme support bot.").wait_for()
    page.keyboard.press("Escape")
    conversation = page.evaluate(
        "() => JSON.parse(Object.entries(localStorage)"
        ".find(([key]) => key.startsWith('callwright-chat:'))[1]).conversation")
    # the same conversation goes on elsewhere (another tab, an agent's tool): two replies come
    request = urllib.request.Request(
        served["base"] + "/api/v1/webchat/web/messages",
        data=json.dumps({"text": "Opening hours", "conversation": conversation}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    launcher = page.get_by_role("button", name="Chat with us (2 new)")
    launcher.wait_for()
    launcher.click()
    log_of(page).get_by_text("We are open 8 to 20 on weekdays").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Chat with us", exact=True).wait_for()  # all seen
    page.reload()
    # the closed panel's log is replayed too, and nothing in it is new
    page.wait_for_function("() => document.querySelector('callwright-chat').shadowRoot"
                           ".querySelectorAll('li').length === 6")
    assert page.get_by_role("button", name="Chat with us", exact=True).is_visible()
    assert page.errors == []


def test_a_message_a_flow_sends_later_is_pushed_into_the_open_chat_in_russian(
        page, served) -> None:
    page.goto(served["parcel"].origin + "/")
    page.get_by_role("button", name="Чат с нами").click()
    field = page.get_by_role("textbox", name="Ваше сообщение")
    field.fill("where is my parcel?")
    field.press("Enter")
    log = log_of(page)
    log.get_by_text("Let me look for your parcel.").wait_for()
    # not in the turn's answer: the task worker delivers it to the conversation's event stream
    log.get_by_text("Your parcel left the warehouse.").wait_for()
    shown = log.get_by_role("listitem").all_text_contents()
    assert shown[-1].endswith("Your parcel left the warehouse.")
    assert page.errors == []


def test_a_page_of_an_origin_not_in_settings_is_refused(page, served) -> None:
    page.goto(served["other"].origin + "/")
    page.get_by_role("button", name="Chat with us").click()
    field = page.get_by_role("textbox", name="Your message")
    field.fill("hello")
    field.press("Enter")
    page.get_by_role("status").get_by_text("could not be sent").wait_for()
    assert field.input_value() == "hello"  # kept to send again
    request = urllib.request.Request(
        served["base"] + "/api/v1/webchat/web/messages", data=b'{"text": "hello"}',
        headers={"Content-Type": "application/json", "Origin": served["other"].origin})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    error = json.loads(refused.value.read())["error"]
    assert error["code"] == "origin_not_allowed"
    assert "[chat] origins" in error["message"]
    assert refused.value.headers.get("Access-Control-Allow-Origin") is None
