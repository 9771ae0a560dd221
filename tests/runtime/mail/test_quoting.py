"""Only the new text of a reply reaches the flow: quotes and signatures are cut off."""

from __future__ import annotations

import pytest

from runtime.mail import new_text

CASES = {
    "a quote under its attribution": ("Yes, please.\n\nOn Fri, 4 Dec 2026 at 10:00, Acme "
                                      "<support@acme.test> wrote:\n> Shall we block it?\n",
                                      "Yes, please."),
    "quoted lines alone": ("2\n> Reply 1 for Balance\n> Reply 2 for Cards", "2"),
    "a signature": ("Thanks!\n-- \nAnn Example\nACME Ltd", "Thanks!"),
    "a phone's signature": ("Ok\n\nSent from my iPhone", "Ok"),
    "Outlook's separator": ("Fine\n________________________________\nFrom: Acme\nSent: today",
                            "Fine"),
    "a German client": ("Ja\nAm 04.12.2026 um 10:00 schrieb Acme <s@acme.test>:\n> Frage",
                        "Ja"),
    "a Russian client": ("Да\n4 дек. 2026 г., в 10:00, Acme <s@acme.test> пишет:\n> Вопрос",
                         "Да"),
    "a message that is all quote": ("> only the quote\n> of the earlier mail",
                                    "only the quote\nof the earlier mail"),
}


@pytest.mark.parametrize(("body", "expected"), CASES.values(), ids=CASES.keys())
def test_the_new_text_of_a_reply_is_what_reaches_the_flow(body, expected):
    assert new_text(body) == expected


def test_a_line_that_only_mentions_writing_is_kept():
    assert new_text("I wrote: my card\nis lost") == "I wrote: my card\nis lost"
