"""Reads phone numbers as members and operators write them, into E.164."""
import phonenumbers


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
