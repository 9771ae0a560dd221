"""The context reads and writes dotted paths, renders templates and replays waits quietly."""

from __future__ import annotations

import pytest

from blocks.sdk import BlockError, Context, Host
from blocks.sdk.templates import ConfigTemplate


class SilentHost(Host):
    """A host that records what is emitted."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event: dict) -> None:
        self.events.append(event)

    async def receive(self, ask: dict):
        return None

    def secret(self, name: str) -> str:
        if name != "TOKEN":
            raise BlockError(f"secret {name!r} is not set")
        return "s3cret"


@pytest.fixture
def ctx() -> Context:
    return Context(SilentHost(), vars={"account": {"id": "42"}, "list": [1, 2]},
                   contact={"from": "+49301"}, trigger={"text": "hi"})


def test_get_reads_dotted_paths_and_defaults_for_missing_ones(ctx):
    assert ctx.get("vars.account.id") == "42"
    assert ctx.get("vars.list.1") == 2
    assert ctx.get("trigger.text") == "hi"
    assert ctx.get("vars.account.missing", "none") == "none"
    with pytest.raises(BlockError, match="unknown path 'session.x'"):
        ctx.get("session.x")


def test_set_creates_objects_on_the_way_and_records_the_change(ctx):
    ctx.set("vars.customer.name", "Ada")
    ctx.set("contact.language", "ru")
    assert ctx.vars["customer"] == {"name": "Ada"} and ctx.contact["language"] == "ru"
    assert ctx.changes == [("vars.customer.name", "Ada"), ("contact.language", "ru")]
    with pytest.raises(BlockError, match="only paths under vars. or contact."):
        ctx.set("trigger.text", "x")


def test_value_keeps_native_types_and_render_gives_text(ctx):
    assert ctx.value("{{ vars.list | length }}") == 2
    assert ctx.value(7) == 7
    assert ctx.render("Account {{ vars.account.id }}") == "Account 42"
    assert ctx.render("plain") == "plain"


def test_a_replayed_block_does_not_emit_again_until_its_wait_returns(ctx):
    ctx.resume_with(None)
    ctx.say("said before the wait")
    assert ctx.host.events == []
    import asyncio
    assert asyncio.run(ctx.ask("again?")) is None
    ctx.say("said after the wait")
    assert [e.get("text") for e in ctx.host.events] == ["said after the wait"]


def test_config_templates_render_strings_and_resolve_secrets_but_share_static_configs():
    static = ConfigTemplate({"text": "Hello", "n": 1})
    assert static.static and static.render({}, lambda n: "") is static.config
    dynamic = ConfigTemplate({"url": "{{ vars.base }}/x", "headers": {"auth": {"$secret": "TOKEN"}},
                              "code": "{{ not rendered }}"}, raw_fields=("code",))
    host = SilentHost()
    rendered = dynamic.render({"vars": {"base": "http://crm"}}, host.secret)
    assert rendered == {"url": "http://crm/x", "headers": {"auth": "s3cret"},
                        "code": "{{ not rendered }}"}
    with pytest.raises(BlockError, match="'MISSING' is not set"):
        ConfigTemplate({"t": {"$secret": "MISSING"}}).render({}, host.secret)


class LibraryHost(SilentHost):
    """A host whose workspace has one response, a text on every channel but SMS's own."""

    channel = "voice"

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str, str | None]] = []

    def response(self, name: str, *, language: str, channel: str | None = None) -> dict | None:
        self.asked.append((name, language, channel))
        if name != "bank/hours":
            raise BlockError(f"response {name!r}: set 'bank' has no response {name[5:]!r}")
        return {"text": "Open 8-20." if channel != "sms" else "Acme: 8-20"}


def test_a_response_is_asked_for_a_channel_in_the_sessions_language_and_left_unrendered():
    host = LibraryHost()
    ctx = Context(host, vars={}, contact={"language": "ru"}, trigger={})
    assert ctx.response("bank/hours", channel="sms") == {"text": "Acme: 8-20"}
    assert ctx.response("bank/hours") == {"text": "Open 8-20."}  # the session's own channel
    assert host.asked == [("bank/hours", "ru", "sms"), ("bank/hours", "ru", None)]
    with pytest.raises(BlockError, match="has no response 'nope'"):
        ctx.response("bank/nope")


def test_a_host_that_resolves_no_responses_gives_none():
    assert Context(SilentHost(), vars={}, contact={}, trigger={}).response("bank/hours") is None
