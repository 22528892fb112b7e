"""Plural forms and numbers in each language: the catalogs' Plural-Forms, Babel's digits."""
import pytest

from handlers import broadcasts, meetings, prices
from handlers.market.showing import COUNTED
from locales.i18n import Plural, catalog, ngettext, number, plural_rule, translate

SENDING = broadcasts.SENDING


@pytest.mark.parametrize(("lang", "count", "text"), [
    ("en", 0, "Sending to 0 members."),
    ("en", 1, "Sending to 1 member."),
    ("en", 3, "Sending to 3 members."),
    ("sw", 1, "Inatumwa kwa mwanachama 1."),
    ("sw", 3, "Inatumwa kwa wanachama 3."),
    ("fr", 0, "Envoi à 0 membre."),  # French counts 0 in the singular
    ("fr", 1, "Envoi à 1 membre."),
    ("fr", 2, "Envoi à 2 membres."),
    ("fr", 1_000_000, "Envoi à 1 000 000 de membres."),
    ("pt", 0, "A enviar para 0 membro."),
    ("pt", 1, "A enviar para 1 membro."),
    ("pt", 5, "A enviar para 5 membros."),
])
def test_count_takes_the_form_of_the_members_language(lang, count, text):
    assert translate(lang, SENDING, count=count).startswith(text)


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("en", "median of 1 report in", "median of 4 reports in"),
    ("sw", "ripoti 1 ya siku 7", "ripoti 4 za siku 7"),
    ("fr", "médiane de 1 relevé sur", "médiane de 4 relevés sur"),
    ("pt", "mediana de 1 relato em", "mediana de 4 relatos em"),
])
def test_reports_are_counted_in_the_singular_and_the_plural(lang, one, many):
    assert one in translate(lang, prices.MEMBERS, amount="300", count=1)
    assert many in translate(lang, prices.MEMBERS, amount="300", count=4)


@pytest.mark.parametrize(("lang", "forms"), [
    ("en", ["1 pc", "30 pcs", "1 bag", "2 bags"]),
    ("sw", ["kipande 1", "vipande 30", "gunia 1", "magunia 2"]),
    ("fr", ["1 pièce", "30 pièces", "1 sac", "2 sacs"]),
    ("pt", ["1 peça", "30 peças", "1 saco", "2 sacos"]),
])
def test_pieces_and_bags_are_counted_in_each_language(lang, forms):
    shown = [translate(lang, COUNTED[unit], count=count)
             for unit, count in (("piece", 1), ("piece", 30), ("bag", 1), ("bag", 2))]
    assert shown == forms


def test_a_count_with_decimals_takes_its_cldr_form():
    """1.5 bags in English, 1,5 sac in French (CLDR: French `one` is 0 <= n < 2)."""
    assert translate("en", COUNTED["bag"], count=1.5) == "1.5 bags"
    assert translate("fr", COUNTED["bag"], count=1.5) == "1,5 sac"
    assert translate("fr", COUNTED["bag"], count=2.5) == "2,5 sacs"


def test_plural_rules_come_from_the_catalogs():
    assert [plural_rule("en")(n) for n in (0, 1, 2)] == [1, 0, 1]
    assert [plural_rule("sw")(n) for n in (0, 1, 2)] == [1, 0, 1]
    assert [plural_rule("fr")(n) for n in (0, 1, 2, 1_000_000)] == [0, 0, 2, 1]
    assert [plural_rule("pt")(n) for n in (0, 1, 2)] == [0, 0, 2]


def test_untranslated_plural_is_english_with_the_languages_digits():
    goats = Plural("{count} goat", "{count} goats")
    assert ngettext("fr", *goats, 1) == "1 goat"
    assert ngettext("fr", *goats, 2500) == "2 500 goats"


def test_every_plural_message_has_every_form_in_each_language():
    for lang, forms in (("sw", 2), ("fr", 3), ("pt", 3)):
        for message in (SENDING, meetings.CONFIRM, prices.MEMBERS, COUNTED["piece"]):
            assert len(catalog(lang)[message.singular]) == forms, (lang, message)


@pytest.mark.parametrize(("lang", "written"), [
    ("en", ["1.5", "24,000", "16.44", "120"]),
    ("sw", ["1.5", "24,000", "16.44", "120"]),
    ("fr", ["1,5", "24 000", "16,44", "120"]),  # a plain space: GSM-7, one SMS stays one
    ("pt", ["1,5", "24.000", "16,44", "120"]),
])
def test_numbers_are_written_as_each_language_does(lang, written):
    assert [number(value, lang) for value in (1.5, 24000, 16.444, 120.0)] == written
