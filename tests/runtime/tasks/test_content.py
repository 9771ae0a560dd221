"""What a `send` says: the content its block chose, rendered with the session's data at delivery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.tasks.content import message_of
from runtime.tasks.senders import PermanentFailure

SCOPE = {"vars": {"name": "Анна", "note": "<img src=x onerror=alert(1)>"}, "contact": {},
         "trigger": {}}
CHOSEN = {"text": "Hello {{ vars.name }}.", "quick_replies": ["Balance", "Agent"]}


def write_set(root: Path, responses: dict) -> None:
    """Write responses/bank.json into a workspace."""
    (root / "responses").mkdir(parents=True, exist_ok=True)
    (root / "responses" / "bank.json").write_text(json.dumps(
        {"schema": "callwright/responses@1", "id": "bank", "responses": responses}), "utf-8")


def chosen(channel: str, content: dict, **fields) -> dict:
    """Return a payload as the `send` block queues it for a named response."""
    return {"channel": channel, "to": "c-1", "response": "bank/hours", "content": content,
            "scope": SCOPE, **fields}


def test_the_chosen_content_is_rendered_and_the_file_on_disk_is_not_read(tmp_path):
    # the file changed (or broke) after the block chose the live version: it plays no part
    write_set(tmp_path, {"hours": {"text": "Changed on disk, never published."}})
    assert message_of(tmp_path, chosen("sms", CHOSEN))["text"] == "Hello Анна."
    (tmp_path / "responses" / "bank.json").write_text("{ broken", "utf-8")
    assert message_of(tmp_path / "nowhere", chosen("webhook", CHOSEN))["text"] == "Hello Анна."


def test_quick_replies_go_with_a_chat_message_and_with_no_other():
    message = message_of(Path("/nonexistent"), chosen("chat", CHOSEN))
    assert message == {"channel": "chat", "to": "c-1", "text": "Hello Анна.",
                       "quick_replies": ["Balance", "Agent"]}
    for channel in ("sms", "webhook"):
        assert "quick_replies" not in message_of(Path("/nonexistent"), chosen(channel, CHOSEN))


def test_an_emails_subject_and_html_are_rendered_and_the_html_cleaned():
    content = {"subject": "Hours for {{ vars.name }}", "text": "Open 8-20, {{ vars.name }}.",
               "html": "<p onclick=\"x()\">Open, <em>{{ vars.note }}</em>.</p>"}
    message = message_of(Path("/nonexistent"), chosen("email", content, to="a@b.c"))
    assert message == {"channel": "email", "to": "a@b.c", "subject": "Hours for Анна",
                       "text": "Open 8-20, Анна.",
                       "html": "<p>Open, <em>&lt;img src=x onerror=alert(1)&gt;</em>.</p>"}
    # the block's own subject (rendered when the block ran) comes before the response's
    own = message_of(Path("/nonexistent"), chosen("email", content, to="a@b.c", subject="Re: 7"))
    assert own["subject"] == "Re: 7"


def test_a_text_that_cannot_be_rendered_fails_for_good_naming_the_response():
    with pytest.raises(PermanentFailure, match="response 'bank/hours': "):
        message_of(Path("/nonexistent"), chosen("sms", {"text": "{{ vars.name | nofilter }}"}))


# --- payloads queued before `send` chose its response ---------------------------------------

def legacy(channel: str, language: str) -> dict:
    """Return a payload as older versions queued it: the response's name alone."""
    return {"channel": channel, "to": "c-1", "response": "bank/hours", "language": language,
            "scope": SCOPE}


def test_a_payload_that_names_its_response_only_is_resolved_from_the_responses_folder(tmp_path):
    write_set(tmp_path, {"hours": {"text": "Open 8-20.", "variants": [
        {"language": "ru", "text": "Мы работаем с 8 до 20, {{ vars.name }}."},
        {"channel": "chat", "language": "ru", "audio": "hours_ru"},
        {"channel": "chat", "text": "Mon-Fri 8-20.", "quick_replies": ["Agent"]}]}})
    assert message_of(tmp_path, legacy("sms", "ru-RU"))["text"] == "Мы работаем с 8 до 20, Анна."
    assert message_of(tmp_path, legacy("chat", "en"))["quick_replies"] == ["Agent"]
    # chat passes by the variant with a recording and no text, as the live library does
    assert message_of(tmp_path, legacy("chat", "ru"))["text"] == "Мы работаем с 8 до 20, Анна."


def test_a_set_that_does_not_validate_is_no_source_for_an_old_payload(tmp_path):
    write_set(tmp_path, {"hours": {}})  # a response with nothing to say
    with pytest.raises(PermanentFailure, match="response 'bank/hours': the workspace has no "
                                               "responses set 'bank'"):
        message_of(tmp_path, legacy("sms", "en"))


def test_an_old_payload_naming_a_missing_response_fails_for_good_naming_it(tmp_path):
    write_set(tmp_path, {"hours": {"text": "Open."}})
    with pytest.raises(PermanentFailure, match="set 'bank' has no response 'nope'"):
        message_of(tmp_path, {**legacy("sms", "en"), "response": "bank/nope"})
