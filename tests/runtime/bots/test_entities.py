"""runtime.bots.entities: digits, numbers and list values with synonyms, picked out of a message."""

from runtime.bots.entities import Entities
from runtime.bots.text import read

SPECS = {"account": {"kind": "digits", "min_length": 8, "max_length": 8},
         "amount": {"kind": "number", "minimum": 0, "maximum": 100000},
         "card": {"kind": "list", "values": {"debit": ["debit card", "дебетовая"],
                                             "credit": ["credit card", "кредитная", "кредитку"]}},
         "code": {"kind": "digits"}}


def extract(text: str) -> dict:
    return Entities(SPECS).extract(read(text))


def test_digits_may_come_in_groups_and_must_have_the_length():
    assert extract("account 1234 5678 please")["account"] == "12345678"
    assert extract("account 1234-5678")["account"] == "12345678"
    assert "account" not in extract("account 1234567")


def test_digits_without_bounds_take_the_first_run():
    assert extract("code 42")["code"] == "42"


def test_a_number_reads_a_decimal_comma_and_keeps_to_its_bounds():
    assert extract("send 12,50 to him")["amount"] == 12.5
    assert extract("send 300 now")["amount"] == 300
    assert "amount" not in extract("send 999999")


def test_a_list_value_matches_its_name_synonyms_and_their_inflected_forms():
    assert extract("block my Credit Card")["card"] == "credit"
    assert extract("заблокируйте кредитную карту")["card"] == "credit"
    assert extract("потерял дебетовую")["card"] == "debit"
    assert extract("my debit")["card"] == "debit"  # the value's own name


def test_a_long_synonym_matches_with_a_typo():
    assert extract("потерял дебитовую")["card"] == "debit"


def test_the_value_said_first_wins():
    assert extract("credit card or debit card")["card"] == "credit"


def test_nothing_found_gives_no_entry():
    assert extract("hello") == {}
    assert extract("") == {}
