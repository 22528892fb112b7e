"""What a country implies by default: currency, languages we ship, time zone."""
import phonenumbers
from babel.languages import get_official_languages
from babel.numbers import get_territory_currencies
from phonenumbers import timezone as phone_timezones

from locales.i18n import SHIPPED


def currency_of(country: str) -> str:
    currencies = get_territory_currencies(country.upper())
    return currencies[0] if currencies else "USD"


def official_languages(country: str) -> list[str]:
    """The shipped languages official (or de facto) in the country."""
    return [lang for lang in get_official_languages(country.upper(), de_facto=True)
            if lang in SHIPPED]


def languages_of(country: str) -> list[str]:
    """The shipped languages official in the country, English when none is."""
    return official_languages(country) or ["en"]


def timezone_of(country: str) -> str:
    example = phonenumbers.example_number(country.upper())
    zones = phone_timezones.time_zones_for_number(example) if example else ()
    return zones[0] if zones and zones[0] != "Etc/Unknown" else "UTC"
