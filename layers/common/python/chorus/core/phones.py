"""Phone numbers as people type them (`06 1234 5678`, `+31 6 1234 5678`, `0031 6 12345678`), checked and stored in
E.164 (`+31612345678`), the form SNS sends SMS to. Google's libphonenumber (the `phonenumbers` module, shipped as
phonenumberslite: the same code without geo and carrier data) knows each country's numbering plan; a number without a
country code is read as Dutch."""
from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "NL"
EXAMPLE = "06 1234 5678 or +31 6 1234 5678"


class InvalidPhone(ValueError):
    """Why a text is not a phone number that can receive SMS, in words for the person who typed it."""


def e164(text: str, region: str = DEFAULT_REGION) -> str:
    """The number in E.164, or InvalidPhone saying what is wrong. Landlines are refused: they cannot receive SMS."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"is not a phone number; write it as {EXAMPLE}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"is not a valid phone number (check the digits); write it as {EXAMPLE}")
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise InvalidPhone("is a landline number, which cannot receive SMS; give a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
