"""A channel renders channel-neutral actions for its medium and types the input it receives."""

from __future__ import annotations

from blocks.sdk import Input


class Channel:
    """How one medium shows actions and reads answers.

    `render(event)` returns the event with the medium's rendering added (it never removes the
    neutral fields, so transcripts stay comparable across channels). `parse_input(text)` turns a
    raw answer into an `Input` with its mode.
    """

    name: str = ""
    text_field: str = "text"  # the event field holding what a plain-text medium would carry

    def render(self, event: dict) -> dict:
        """Return the event with this channel's rendering added."""
        return event

    def parse_input(self, text: str) -> Input:
        """Return a raw answer as an input of this channel's mode."""
        return Input(text, "text")


def choice_lines(choices: list[dict], template: str) -> list[str]:
    """Return one line per choice, such as `Reply 1 for Balance`."""
    return [template.format(key=c.get("key", ""), label=c.get("label", "")) for c in choices]
