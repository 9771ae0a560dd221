"""Phone numbers: kept in E.164, read in the default region, refused by name when unreadable."""

from __future__ import annotations

import pytest

from blocks.sdk import ConfigurationError
from runtime.messaging.numbers import NumberError, default_region, e164, our_number


@pytest.mark.parametrize("written, region, number", [
    ("+4915112345678", None, "+4915112345678"),
    ("+49 151 1234-5678", None, "+4915112345678"),
    ("0151 12345678", "DE", "+4915112345678"),
    ("0049 151 12345678", "DE", "+4915112345678"),
    ("(030) 999000", "DE", "+4930999000"),
    ("8 (912) 345-67-89", "RU", "+79123456789"),
    ("+7 912 345 67 89", "DE", "+79123456789"),  # a country code wins over the region
    ("+1 (202) 555-0143", None, "+12025550143"),
])
def test_a_number_is_kept_in_e164(written, region, number):
    assert e164(written, region) == number


@pytest.mark.parametrize("written, region, says", [
    ("abc", "DE", "'abc' is not a phone number"),
    ("", "DE", "is not a phone number: it is empty"),
    ("   ", "DE", "is not a phone number: it is empty"),
    ("0151 12345678", None, "write it with its country code (+49...) or set [sms] default_region"),
    ("12345", "DE", "'12345' is not a valid phone number in region DE"),
    ("+49 30 12", None, "'+49 30 12' is not a valid phone number"),
    ("+" + "1" * 80, None, "it has 81 characters"),
])
def test_what_is_not_a_number_is_an_error_naming_the_field(written, region, says):
    with pytest.raises(NumberError) as caught:
        e164(written, region, "/from")
    assert caught.value.field == "/from" and says in caught.value.reason
    assert str(caught.value).startswith("/from: ")
    assert caught.value.code == "invalid_number"


def test_a_value_that_is_not_text_is_not_a_number():
    with pytest.raises(NumberError, match="empty"):
        e164(None, "DE")


def test_our_own_address_may_be_a_short_code():
    assert our_number("55555", "DE") == "55555"
    assert our_number("+49 30 999000", "DE") == "+4930999000"
    with pytest.raises(NumberError):
        our_number("12", "DE")


def test_the_default_region_comes_from_the_settings_and_must_exist():
    assert default_region({"sms": {"default_region": "de"}}) == "DE"
    assert default_region({"sms": {}}) is None and default_region({}) is None
    with pytest.raises(ConfigurationError, match=r"\[sms\] default_region 'XX'"):
        default_region({"sms": {"default_region": "XX"}})


def test_the_default_region_may_come_from_the_environment():
    from runtime.workspace.settings import load_settings

    settings = load_settings(None, {"CALLWRIGHT_SMS_DEFAULT_REGION": "ru"})
    assert e164("8 912 345-67-89", default_region(settings)) == "+79123456789"
