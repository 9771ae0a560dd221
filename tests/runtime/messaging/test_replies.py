"""A turn's replies on SMS and webhook: one `send` payload per reply a contact can read."""

from __future__ import annotations

from runtime.messaging import reply_messages
from runtime.sessions.session import Session


def session() -> Session:
    """Return an SMS session in its second turn."""
    return Session(id="s1", flow_id="f", flow_version="1", channel="sms", block="b", vars={},
                   contact={"language": "ru"}, trigger={}, turns=2, steps=3)


def test_each_reply_with_a_text_goes_in_its_place_and_a_response_goes_as_it_was_rendered():
    replies = [{"event": "say", "block": "a", "text": "Hello.", "sms": "Hello."},
               {"event": "say", "block": "b", "response": "bank/hours",
                "text": "Открыто 8-20, Анна.", "sms": "Открыто 8-20, Анна."}]
    assert list(reply_messages(session(), replies, "+4915112345678", "+4930999000")) == [
        ({"text": "Hello.", "channel": "sms", "to": "+4915112345678", "conversation": "s1",
          "place": [2, 1], "from": "+4930999000"}, "s1.2.reply.1"),
        ({"text": "Открыто 8-20, Анна.", "channel": "sms", "to": "+4915112345678",
          "conversation": "s1", "place": [2, 2], "from": "+4930999000"}, "s1.2.reply.2")]


def test_a_response_with_no_text_for_the_channel_says_nothing_and_names_nothing_to_render():
    # the live library gave this response a recording only: there is nothing to read by SMS
    replies = [{"event": "say", "block": "a", "response": "bank/jingle", "audio": "jingle"},
               {"event": "say", "block": "b", "text": "Bye.", "sms": "Bye."}]
    [(payload, key)] = reply_messages(session(), replies, "+4915112345678", None)
    assert (payload["text"], payload["place"], key) == ("Bye.", [2, 1], "s1.2.reply.1")
    assert "response" not in payload
