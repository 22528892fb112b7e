"""Reads phone numbers as members and operators write them, into E.164."""
import re

import phonenumbers

TELEGRAM_ID = re.compile(r"[0-9]{1,18}")  # fits the BIGINT column


def to_e164(raw: str, region: str) -> str | None:
    """`0722000002` in region KE -> `+254722000002`; None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str | None) -> str | None:
    """The country code (`KE`) of an E.164 number, if known."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def read_address(text: str, region: str) -> tuple[str | None, int | None] | None:
    """(phone, telegram id) of who `text` names: `tg:123` is a Telegram id, a valid phone
    number is a phone, other plain digits are a Telegram id; None for anything else."""
    text = text.strip()
    if text.lower().startswith("tg:") and TELEGRAM_ID.fullmatch(text[3:]):
        return None, int(text[3:])
    phone = to_e164(text, region)
    if phone:
        return phone, None
    if TELEGRAM_ID.fullmatch(text):
        return None, int(text)
    return None
