"""Phone numbers as residents type them, stored as E.164 (Poland is the default region)."""

from __future__ import annotations

import phonenumbers

from hub.errors import InvalidInput


def normalize_phone(raw: object) -> str:
    """E.164 from what was typed (Polish numbers without +48 accepted); else bad_phone."""
    try:
        parsed = phonenumbers.parse(raw if isinstance(raw, str) else "", "PL")
    except phonenumbers.NumberParseException:
        raise InvalidInput("bad_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("bad_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """'+48601234567' → '601 234 567' for Polish numbers, international format otherwise."""
    parsed = phonenumbers.parse(e164, "PL")
    if parsed.country_code == 48:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
