"""Phone numbers in E.164 (`+4930123456`), read with Google's libphonenumber (`phonenumbers`).

Every SMS address is kept in E.164, so a contact who writes from `0151 1234 5678` and one
started by a campaign as `+49 151 12345678` are the same contact. A number written without its
country code is read in `[sms] default_region` (an ISO 3166 code such as `DE`).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from blocks.sdk import ConfigurationError
from runtime.errors import EngineError

MAX_NUMBER = 64  # a number as written, with spaces and punctuation; E.164 itself is at most 16
SHORT_CODE_DIGITS = range(3, 9)  # the short codes that gateways put in `to` (US 5-6, DE 4-5...)


class NumberError(EngineError, ValueError):
    """A text is not a phone number; the message names the field it came from."""

    code = "invalid_number"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def default_region(settings: dict) -> str | None:
    """Return `[sms] default_region` in upper case, or None when it is not set."""
    region = settings.get("sms", {}).get("default_region")
    if not region:
        return None
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigurationError(f"[sms] default_region {region!r} is not a region with phone "
                                 f"numbers: use an ISO 3166 code such as DE, RU or US")
    return region.upper()


def e164(text: object, region: str | None, field: str = "to") -> str:
    """Return a phone number in E.164; raise NumberError naming `field` when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise NumberError(field, "is not a phone number: it is empty")
    if len(text) > MAX_NUMBER:
        raise NumberError(field, f"is not a phone number: it has {len(text)} characters")
    return _e164(text, region, field)


@lru_cache(maxsize=4096)  # a contact's number is read on the way in and for every reply
def _e164(text: str, region: str | None, field: str) -> str:
    """Return a number of at most MAX_NUMBER characters in E.164, or raise NumberError."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        hint = ("; write it with its country code (+49...) or set [sms] default_region"
                if exc.error_type == exc.INVALID_COUNTRY_CODE else "")
        reason = str(exc).partition(") ")[2] or str(exc)  # "(1) The string supplied..."
        raise NumberError(field, f"{text!r} is not a phone number ({reason}){hint}") from None
    if not phonenumbers.is_valid_number(number):
        where = f" in region {region}" if region and not text.lstrip().startswith("+") else ""
        raise NumberError(field, f"{text!r} is not a valid phone number{where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def our_number(text: object, region: str | None, field: str = "to") -> str:
    """Return our own address in E.164, or a short code (3 to 8 digits) as it is."""
    if isinstance(text, str) and text.isascii() and text.isdigit() \
            and len(text) in SHORT_CODE_DIGITS:
        return text
    return e164(text, region, field)


__all__ = ["NumberError", "default_region", "e164", "our_number"]
