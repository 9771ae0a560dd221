"""Fixtures of the bots' tests: a small English and Russian bank bot."""

from __future__ import annotations

import copy

import pytest

BANK = {"schema": "callwright/bot@1", "id": "bank", "name": "Bank assistant",
        "languages": ["en", "ru"], "min_confidence": 0.5,
        "intents": {
            "balance": {"examples": {"en": ["what is my balance", "how much money do I have",
                                            "check my account balance"],
                                     "ru": ["какой у меня баланс", "сколько денег на счёте",
                                            "проверить остаток по карте"]},
                        "keywords": {"en": ["balance"], "ru": ["баланс", "остаток"]}},
            "card_block": {"examples": {"en": ["I lost my card", "block my card",
                                               "my card was stolen"],
                                        "ru": ["я потерял карту", "заблокировать карту",
                                               "у меня украли карту"]},
                           "keywords": {"en": ["stolen"], "ru": ["украли"]}},
            "transfer": {"examples": {"en": ["send money to my friend", "transfer money",
                                             "make a payment to another account"],
                                      "ru": ["перевести деньги другу", "сделать перевод",
                                             "отправить деньги на другой счёт"]}},
            "opening_hours": {"examples": {"en": ["when are you open",
                                                  "what are your opening hours"],
                                           "ru": ["когда вы работаете", "часы работы"]},
                              "response": "bank/opening_hours"}},
        "entities": {"account": {"kind": "digits", "min_length": 8, "max_length": 8},
                     "amount": {"kind": "number", "minimum": 0},
                     "card": {"kind": "list", "values": {"debit": ["debit card", "дебетовая"],
                                                         "credit": ["credit card", "кредитная",
                                                                    "кредитку"]}}}}


@pytest.fixture
def bank() -> dict:
    """Return a fresh copy of the bank bot's document."""
    return copy.deepcopy(BANK)
