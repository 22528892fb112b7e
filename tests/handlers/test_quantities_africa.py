"""The one parser of prices and quantities in the seven countries' clusters: money as it is
written (`bob`, `/=`, `UGX`, `MT`, `2.800 F`), thousands and decimals in four languages,
containers and counts (debes, trays of eggs, dozens, `sac de 50 kg`); a price report keeps its
currency."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from scenes import GRACE, JUMA
from sqlalchemy import select

from handlers.quantities import (Quantity, find_price, group_thousands, price_per_unit,
                                 read_amounts, read_number, read_price, read_quantity, read_unit,
                                 split_words)
from locales import currencies
from storage import members
from storage.db import unit_of_work
from storage.models import Place, Product
from storage.prices import OfficialPrice, PriceReport

COUNTRIES = ("KE", "TZ", "UG", "MZ", "SN", "CM", "CI")
NAIROBI = timezone(timedelta(hours=3))


def money(text, country):
    """(amount, currency) of `text` when it is one price, in a cluster of `country`."""
    found = find_price(text, country=country)
    assert found is not None and (found.start, found.end) == (0, len(text)), text
    return found.amount, found.currency


def message(text, country, product_unit="kg"):
    """(quantity, unit, price per that unit, its unit, currency) of a listing's words."""
    found = read_amounts(split_words(text, country), country=country)
    assert found.problem is None, (text, found.problem)
    quantity = found.quantity
    unit = quantity.unit or product_unit if quantity else None
    if found.price is None:
        return quantity.amount, unit, None, None, None
    per, per_unit = price_per_unit(found.price, quantity, unit) if quantity else (
        found.price.amount, found.price.unit)
    return (quantity.amount if quantity else None, unit, round(per, 2), per_unit,
            found.price.currency)


# --- Money: each mark, before and after the number, glued and spaced ---------------------------

# (mark, {country: the currency it means there}); a country left out means what "*" says.
MARKS = [
    ("bob", {"*": "KES"}),
    ("ksh", {"*": "KES"}), ("Kshs", {"*": "KES"}), ("KES", {"*": "KES"}),
    ("UGX", {"*": "UGX"}), ("Ush", {"*": "UGX"}),
    ("TZS", {"*": "TZS"}), ("Tsh", {"*": "TZS"}),
    ("sh", {"KE": "KES", "UG": "UGX", "TZ": "TZS", "*": "KES"}),
    ("shs", {"KE": "KES", "UG": "UGX", "TZ": "TZS", "*": "KES"}),
    ("MZN", {"*": "MZN"}), ("meticais", {"*": "MZN"}), ("metical", {"*": "MZN"}),
    ("MT", {"MZ": "MZN"}), ("Mt", {"MZ": "MZN"}),
    ("XOF", {"*": "XOF"}), ("XAF", {"*": "XAF"}),
    ("FCFA", {"CM": "XAF", "*": "XOF"}), ("CFA", {"CM": "XAF", "*": "XOF"}),
    ("F CFA", {"CM": "XAF", "*": "XOF"}), ("F", {"CM": "XAF", "*": "XOF"}),
    ("francs", {"CM": "XAF", "*": "XOF"}),
]
WRITINGS = [("{mark} {n}", "before, spaced"), ("{mark}{n}", "before, glued"),
            ("{n} {mark}", "after, spaced"), ("{n}{mark}", "after, glued")]


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(("mark", "meaning"), MARKS)
@pytest.mark.parametrize("writing", [w for w, _ in WRITINGS])
def test_money_mark_means_its_currency_in_each_country(country, mark, meaning, writing):
    if country not in meaning and "*" not in meaning:  # `MT` is tonnes outside Mozambique
        return
    currency = meaning.get(country, meaning.get("*"))
    assert money(writing.format(mark=mark, n="2,500"), country) == (2500, currency)


@pytest.mark.parametrize(("text", "country", "read"), [
    ("260/=", "KE", (260, "KES")), ("260/=", "UG", (260, "UGX")), ("260/=", "TZ", (260, "TZS")),
    ("260 /=", "TZ", (260, "TZS")), ("260/-", "KE", (260, "KES")),
    ("Ksh.120", "KE", (120, "KES")), ("Shs. 5,000", "UG", (5000, "UGX")),
    ("F.CFA 2000", "SN", (2000, "XOF")), ("2000 FCFA", "CI", (2000, "XOF")),
    ("2000 frs", "CM", (2000, "XAF")), ("Fcfa 2000", "CM", (2000, "XAF")),
    ("150 MT", "MZ", (150, "MZN")), ("2 mil MT", "MZ", (2000, "MZN")),
    ("1,5 mil meticais", "MZ", (1500, "MZN")), ("15 mille F", "SN", (15000, "XOF")),
    ("bei 2k", "KE", (2000, None)),
    ("prix: 1 500", "SN", (1500, None)), ("preço 150", "MZ", (150, None)),
    ("Ksh 200/=", "UG", (200, "KES")),  # a mark of one currency wins over a shared one
    ("2.800 F", None, (2800, None)),  # no country: a shared mark says only "the cluster's"
    ("200 bob", None, (200, "KES")),
])
def test_money_is_read_as_it_is_written(text, country, read):
    assert money(text, country) == read


@pytest.mark.parametrize("country", COUNTRIES)
def test_two_thousand_eight_hundred_francs_is_not_two_point_eight(country):
    assert money("2.800 F", country)[0] == 2800
    assert read_price("2.800 F le kg", country=country) == (2800, "kg")


@pytest.mark.parametrize(("text", "country", "price"), [
    ("2.800 F le kg", "SN", (2800, "kg", "XOF")),
    ("2800F/kg", "CM", (2800, "kg", "XAF")),
    ("150 MT o quilo", "MZ", (150, "kg", "MZN")),
    ("200 bob per kg", "KE", (200, "kg", "KES")),
    ("Tsh 2,000/kg", "TZ", (2000, "kg", "TZS")),
    ("UGX 60,000 kwa gunia", "UG", (60000, "bag", "UGX")),
    ("25.000 F le sac de 50kg", "CI", (500, "kg", "XOF")),
])
def test_money_mark_and_unit_together(text, country, price):
    found = find_price(text, country=country)
    assert (found.amount, found.unit, found.currency) == price


@pytest.mark.parametrize(("text", "country", "mark"), [
    ("maize 20 MT Eldoret", "KE", (20000, "kg")),  # metric tonnes outside Mozambique
    ("mahindi 5 mt Arusha", "TZ", (5000, "kg")),
])
def test_mt_is_tonnes_outside_mozambique(text, country, mark):
    found = read_amounts(split_words(text, country), country=country)
    assert (found.quantity.amount, found.quantity.unit) == mark and found.price is None
    assert read_quantity("20 MT", country="MZ") is None  # there it is meticais


def test_shared_mark_takes_the_first_currency_outside_its_countries():
    assert currencies.currency_written("F", "KE") == "XOF"
    assert currencies.currency_written("sh", "MZ") == "KES"
    assert currencies.currency_written("zorks", "KE") is None


# --- A price in another currency keeps it ------------------------------------------------------

@pytest.mark.parametrize(("text", "country", "currency"), [
    ("SELL tilapia 20kg 12,000 UGX/kg Busia", "KE", "UGX"),
    ("UZA sato kilo 20 bei 12,000 KES Mwanza", "TZ", "KES"),
    ("UZA dagaa kilo 20 Tsh 3,000 Kisumu", "KE", "TZS"),
    ("VENDRE poisson 20 kg 2.800 F le kg Douala", "SN", "XOF"),  # a Senegalese price in Douala
    ("VENDRE poisson 20 kg 2.800 XAF le kg Dakar", "SN", "XAF"),
    ("VENDER peixe 20 kg 5 USD o quilo Beira", "MZ", "USD"),
    ("SELL fish 20kg 150 MT/kg Mombasa", "MZ", "MZN"),
])
def test_price_in_another_currency_keeps_it(text, country, currency):
    assert message(text, country)[4] == currency


@pytest.mark.parametrize("country", COUNTRIES)
def test_price_without_money_mark_has_no_currency_of_its_own(country):
    """Then it is in the cluster's currency: the listing takes the cluster's."""
    assert message("tilapia 20kg 250/kg", country)[4] is None


# --- Thousands and decimals, in each language ---------------------------------------------------

@pytest.mark.parametrize(("text", "number"), [
    ("1,500", 1500), ("1.500", 1500), ("1\u202f500", 1500), ("1\u00a0500", 1500),
    ("12 500 000".replace(" ", "\u202f"), 12_500_000), ("1.500.000", 1_500_000),
    ("2.800", 2800), ("1,5", 1.5), ("1.5", 1.5), ("12,50", 12.5), ("1.500,50", 1500.5),
    ("1,500.50", 1500.5), ("1\u202f500,50", 1500.5),
    ("0,500", 0.5), ("0.750", 0.75),  # three digits after a lone 0 are a fraction of one
])
def test_thousands_and_decimals_are_read_by_their_digits(text, number):
    assert read_number(text) == number


@pytest.mark.parametrize(("text", "country", "read"), [
    # English
    ("SELL tilapia 50kg 1,500/kg Kampala", "UG", (50, "kg", 1500, "kg", None)),
    ("SELL honey 2.5 kg 1.500 Nairobi", "KE", (2.5, "kg", 1500, "kg", None)),
    ("SELL milk 20 l 55.5 per l Nakuru", "KE", (20, "l", 55.5, "l", None)),
    ("SELL fish 1,500 kg 200 bob per kg Kisumu", "KE", (1500, "kg", 200, "kg", "KES")),
    # Swahili
    ("UZA dagaa kilo 100 bei 1.500 Mwanza", "TZ", (100, "kg", 1500, "kg", None)),
    ("UZA maziwa lita 20 bei 55.5 Arusha", "TZ", (20, "l", 55.5, "l", None)),
    ("UZA sato kilo 50 bei 1 500 Jinja", "UG", (50, "kg", 1500, "kg", None)),
    ("UZA sato 50kg 1,500/= Kisumu", "KE", (50, "kg", 1500, "kg", "KES")),
    # French
    ("VENDRE poisson 100 kg 1 500 F le kg Mbour", "SN", (100, "kg", 1500, "kg", "XOF")),
    ("VENDRE poisson 100 kg 1\u202f500 F le kg Mbour", "SN", (100, "kg", 1500, "kg", "XOF")),
    ("VENDRE attiéké 2,5 kg 1.500 F le kg Abidjan", "CI", (2.5, "kg", 1500, "kg", "XOF")),
    ("VENDRE huile 20 l 1,5 le litre Douala", "CM", (20, "l", 1.5, "l", None)),
    ("VENDRE poisson fumé environ 1 500 kg à 2.800 F le kg Mbour", "SN",
     (1500, "kg", 2800, "kg", "XOF")),
    # Portuguese
    ("VENDO peixe 100 kg a 1.500 MT o quilo Beira", "MZ", (100, "kg", 1500, "kg", "MZN")),
    ("VENDO óleo 20 litros 1,5 o litro Maputo", "MZ", (20, "l", 1.5, "l", None)),
    ("VENDO peixe 100 kg 1,5 mil MT o quilo Pemba", "MZ", (100, "kg", 1500, "kg", "MZN")),
    ("VENDO camarão 20 kg 1.500,50 MT o quilo Beira", "MZ", (20, "kg", 1500.5, "kg", "MZN")),
])
def test_thousands_and_decimals_in_each_language(text, country, read):
    assert message(text, country) == read


@pytest.mark.parametrize(("text", "country", "read"), [
    ("Omena 5 200 Kisumu", "KE", (5, "kg", 200, "kg", None)),  # 5 kg at 200, not 5,200
    ("sato 50 260/= Kisumu", "KE", (50, "kg", 260, "kg", "KES")),  # shillings: no spaced groups
    ("NUNUA sato bei 250 100kg Kisumu", "KE", (100, "kg", 250, "kg", None)),
    ("BUY maize max 45 500kg Eldoret", "KE", (500, "kg", 45, "kg", None)),
    ("BUY tilapia budget de 300 100kg Kampala", "UG", (100, "kg", 300, "kg", None)),
])
def test_plain_numbers_apart_are_not_one_number(text, country, read):
    assert message(text, country) == read


@pytest.mark.parametrize(("text", "country", "grouped"), [
    ("prix 1 500 F", "SN", "prix 1\u202f500 F"),
    ("15 000 FCFA", "KE", "15\u202f000 FCFA"),  # francs in any cluster
    ("bei 12 500", "TZ", "bei 12\u202f500"),
    ("Ush 12 500", "UG", "Ush 12\u202f500"),
    ("environ 1 500 kg", "SN", "environ 1\u202f500 kg"),  # where thousands are spaced
    ("uns 1 500 kg", "MZ", "uns 1\u202f500 kg"),
    ("poisson 1 500 kg", "CM", "poisson 1\u202f500 kg"),
    ("fish 1 500 kg", "KE", "fish 1 500 kg"),  # where they are not
    ("bei 250 100kg", "KE", "bei 250 100kg"),  # the price, then the quantity
    ("Omena 5 200 Kisumu", "KE", "Omena 5 200 Kisumu"),
    ("call 0722 000 001", "SN", "call 0722 000 001"),
    ("Kisumu\u00a0town 1\u00a0500", "KE", "Kisumu town 1\u202f500"),
])
def test_spaces_group_thousands_only_next_to_money(text, country, grouped):
    assert group_thousands(text, country) == grouped


# --- Containers and counts ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "quantity"), [
    # without a size: the container is the unit
    ("3 bags", (3, "bag")), ("3 gunia", (3, "bag")), ("3 sacs", (3, "bag")),
    ("3 sacos", (3, "bag")), ("3 sacks", (3, "bag")),
    ("4 crates", (4, "crate")), ("4 kreti", (4, "crate")), ("4 caisses", (4, "crate")),
    ("4 caixas", (4, "crate")), ("4 cageots", (4, "crate")),
    ("5 debes", (5, "debe")), ("5 debe", (5, "debe")),
    ("2 basins", (2, "basin")), ("2 bassines", (2, "basin")), ("2 bacias", (2, "basin")),
    ("2 beseni", (2, "basin")),
    ("2 buckets", (2, "bucket")), ("2 ndoo", (2, "bucket")), ("2 seaux", (2, "bucket")),
    ("2 baldes", (2, "bucket")),
    ("50 bunches", (50, "bunch")), ("50 régimes", (50, "bunch")), ("20 cartons", (20, "carton")),
    ("50 têtes", (50, "piece")), ("10 vichwa", (10, "piece")), ("10 cabeças", (10, "piece")),
    # counts: a dozen is 12 pieces, a tray (of eggs) 30
    ("2 dozen", (24, "piece")), ("2 douzaines", (24, "piece")), ("2 dúzias", (24, "piece")),
    ("2 dazeni", (24, "piece")),
    ("3 trays", (90, "piece")), ("3 trei", (90, "piece")), ("3 plateaux", (90, "piece")),
    ("3 bandejas", (90, "piece")),
    # of a stated size: the base unit
    ("3 bags of 50kg", (150, "kg")), ("2 sacs de 50 kg", (100, "kg")),
    ("4 sacos de 25kg", (100, "kg")), ("2 debes of 18kg", (36, "kg")),
    ("2 seaux de 10 kg", (20, "kg")), ("sac de 50 kg", (50, "kg")), ("saco de 25kg", (25, "kg")),
    ("debe la kilo 18", (18, "kg")), ("gunia la kilo 90", (90, "kg")),
    ("ndoo ya lita 20", (20, "l")),
])
def test_containers_and_counts_in_four_languages(text, quantity):
    amount, unit = read_quantity(text)
    assert (round(amount, 6), unit) == quantity


@pytest.mark.parametrize(("text", "country", "read"), [
    ("UZA mahindi debe 5 bei 1,200 Arusha", "TZ", (5, "debe", 1200, "debe", None)),
    ("UZA mahindi debe la kilo 18 bei 1,800 Arusha", "TZ", (18, "kg", 100, "kg", None)),
    ("UZA mahindi debe 3 la kilo 18 bei 1,800 Arusha", "TZ", (54, "kg", 100, "kg", None)),
    ("NUNUA mayai trei 5 bei 360 kila trei Nakuru", "KE", (150, "piece", 12, "piece", None)),
    ("SELL eggs 10 trays 360 each Nakuru", "KE", (300, "piece", 12, "piece", None)),
    ("VENDRE oeufs 5 plateaux 2.400 F le plateau Thiès", "SN", (150, "piece", 80, "piece", "XOF")),
    ("VENDO ovos 10 bandejas 300 MT cada Beira", "MZ", (300, "piece", 10, "piece", "MZN")),
    ("SELL baskets 2 dozen 6,000 per dozen Mombasa", "KE", (24, "piece", 500, "piece", None)),
    ("VENDRE paniers 3 douzaines 12.000 F la douzaine Dakar", "SN",
     (36, "piece", 1000, "piece", "XOF")),
    ("UZA mikeka dazeni 2 bei 6000 Lamu", "KE", (24, "piece", 500, "piece", None)),
    ("ACHETER maïs 10 sacs de 50kg 15 000 F le sac Douala", "CM", (500, "kg", 300, "kg", "XAF")),
    ("VENDRE riz sac de 50 kg 25.000 F Kaolack", "SN", (50, "kg", 500, "kg", "XOF")),
    ("VENDO feijão saco de 25kg 1.250 MT Nampula", "MZ", (25, "kg", 50, "kg", "MZN")),
    ("UZA maharagwe basins 3 bei 20,000 shs kila moja Mbale", "UG",
     (3, "basin", 20000, "basin", "UGX")),
    ("VENDO amendoim 2 baldes 500 MT cada Chimoio", "MZ", (2, "bucket", 500, "bucket", "MZN")),
    ("VENDRE tomates 3 cageots 2 500 F le cageot Yaoundé", "CM",
     (3, "crate", 2500, "crate", "XAF")),
    ("SELL matooke 50 bunches 25,000 each Masaka", "UG", (50, "bunch", 25000, "bunch", None)),
    ("VENDRE plantain 50 régimes 3.500 F le régime Loum", "CM",
     (50, "bunch", 3500, "bunch", "XAF")),
    ("SELL frozen mackerel 20 cartons 18,000 per carton Douala", "CM",
     (20, "carton", 18000, "carton", None)),
    ("VENDRE poulets 50 têtes 3.500 F Abidjan", "CI", (50, "piece", 3500, "piece", "XOF")),
    ("VENDER kapenta 10 sacos de 25 kg 3.000 MT cada saco Tete", "MZ",
     (250, "kg", 120, "kg", "MZN")),  # Tete, the town, is no head of livestock
    ("VENDRE attiéké 50 sacs 1.500 F Plateau", "CI", (50, "bag", 1500, "bag", "XOF")),  # a place
])
def test_containers_and_counts_in_a_listing(text, country, read):
    assert message(text, country, product_unit=read[1]) == read


@pytest.mark.parametrize(("text", "country", "read"), [
    ("ACHETER poisson pas plus de 1500 le kg 100 kg Mbour", "SN", (100, "kg", 1500, "kg", None)),
    ("COMPRAR peixe no máximo de 150 o kg 100 kg Beira", "MZ", (100, "kg", 150, "kg", None)),
    ("BUY tilapia budget of 300 100kg Kampala", "UG", (100, "kg", 300, "kg", None)),
])
def test_number_after_a_limit_and_de_is_the_price(text, country, read):
    assert message(text, country) == read


@pytest.mark.parametrize("text", ["Bunch", "Bag", "Head"])
def test_container_alone_is_no_quantity(text):
    """WFP's `Bunch` has no weight to convert; a container alone says no amount."""
    assert read_quantity(text) is None


@pytest.mark.parametrize(("text", "country"), [
    ("Vendo uns 200 kg de peixe Beira", "MZ"), ("Bom dia, preciso de cerca de 200 kg", "MZ"),
    ("je vends environ 200 kg de poisson", "SN"), ("SELL about 200kg tilapia", "KE"),
    ("Habari, nina sato karibu kilo 200", "KE"), ("UZA takriban kilo 200 dagaa", "TZ"),
])
def test_about_a_quantity_is_that_quantity(text, country):
    words = split_words(text, country)
    found = read_amounts(words, country=country)
    assert (found.quantity.amount, found.quantity.unit) == (200, "kg")
    left = [w for w, taken in zip(words, found.taken) if not taken]
    assert not {"uns", "cerca", "environ", "about", "karibu", "takriban"} & set(left)


def test_debe_stays_a_debe_until_its_size_is_written():
    assert read_unit("debe") == ("debe", None)
    assert read_quantity("2 debes") == (2, "debe")
    assert read_quantity("2 debes of 16kg") == (32, "kg")


def test_price_per_container_of_a_stated_size_is_per_its_base_unit():
    bags = Quantity(150, "kg", 50, "bag")
    found = read_amounts(split_words("25.000 F le sac", "SN"), bags, country="SN")
    assert price_per_unit(found.price, bags, "kg") == (500, "kg")


# --- A price report keeps the currency it is written in ----------------------------------------

@pytest.fixture
def reporters(factory, kisumu):
    """Grace coordinates Kisumu Fish (KES); Juma reports tilapia prices from Kisumu."""
    with unit_of_work(factory) as session:
        tilapia = session.scalar(select(Product.id).where(Product.slug == "tilapia"))
        place = session.scalar(select(Place).where(Place.name == "Kisumu"))
        for phone, name, coordinates in ((GRACE, "Grace", True), (JUMA, "Juma", False)):
            member = members.get_or_create(session, phone=phone)
            member.name, member.language, member.language_chosen = name, "en", True
            member.place_id, member.place_name, member.registered = place.id, place.name, True
            members.add_role(session, member, kisumu.id, "fisher")
            if coordinates:
                members.add_role(session, member, kisumu.id, "coordinator")
            members.set_products(member, [(tilapia, "tilapia")])
    with time_machine.travel(datetime(2026, 11, 28, 10, tzinfo=NAIROBI), tick=False):
        yield kisumu


def report_rows(factory):
    with unit_of_work(factory) as session:
        return [(r.amount, r.currency, r.status) for r in session.scalars(select(PriceReport))]


@pytest.mark.parametrize(("text", "row"), [
    ("PRICE tilapia 12,000 UGX/kg Kisumu", (12000, "UGX", "published")),
    ("PRICE tilapia Ush 12,000 Kisumu", (12000, "UGX", "published")),
    ("PRICE tilapia 300 bob Kisumu", (300, "KES", "published")),
    ("PRICE tilapia 300/= Kisumu", (300, "KES", "published")),
    ("PRICE tilapia 300 Kisumu", (300, "KES", "published")),
])
def test_member_report_keeps_the_currency_it_is_written_in(chat, factory, reporters, text, row):
    [reply] = chat(JUMA).send(text)
    assert f"{row[1]}/kg" in reply
    assert report_rows(factory) == [row]


def test_report_in_another_currency_is_not_judged_by_the_clusters_prices(chat, factory,
                                                                         reporters):
    """Three reports near 300 KES; 12,000 UGX is about 300 KES, not forty times the usual."""
    for amount in (290, 300, 310):
        chat(JUMA).send(f"PRICE tilapia {amount}/kg Kisumu")
    chat(JUMA).send("PRICE tilapia 12,000 UGX/kg Kisumu")
    assert report_rows(factory)[-1] == (12000, "UGX", "published")


def test_official_price_in_another_currency_is_asked_again_in_the_clusters(chat, factory,
                                                                           reporters):
    grace = chat(GRACE)
    assert grace.send("PRICE SET tilapia 12,000 UGX/kg Kisumu") == [
        "Please send the official price in KES, e.g. 120/kg."]
    grace.send("PRICE SET tilapia 300 ksh/kg Kisumu")
    with unit_of_work(factory) as session:
        assert [(p.amount, p.currency) for p in session.scalars(select(OfficialPrice))] == [
            (300, "KES")]


# --- Per tonne or per kilo: the currency says which is absurd ---------------------------------

@pytest.mark.parametrize(("text", "country", "read"), [
    ("1 tonne maize 40000 Eldoret", "KE", (1000, "kg", 40, "kg", None)),  # 40 a kg: per tonne
    ("VENDO milho 2 toneladas 15.000 MT Chimoio", "MZ", (2000, "kg", 15, "kg", "MZN")),
    ("ACHETER oignons 1 tonne pas plus de 400 F Tivaouane", "SN",
     (1000, "kg", 400, "kg", "XOF")),  # 0.4 F a kg is no price: 400 F a kg
    ("BUY maize 1 tonne max 1,000 UGX Kampala", "UG", (1000, "kg", 1000, "kg", "UGX")),
    ("ACHETER manioc 1 tonne pas plus de 180 F Abidjan", "CI", (1000, "kg", 180, "kg", "XOF")),
])
def test_price_without_unit_after_tonnes_is_per_tonne_unless_absurd(text, country, read):
    assert message(text, country) == read
