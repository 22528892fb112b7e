"""Tests for the shipped product catalog, the gazetteer and their loader."""
import csv
from pathlib import Path

import pytest

from storage.catalog import LANGUAGES, alias_index, fold, load_places, load_products

REPO_ROOT = Path(__file__).resolve().parents[1]
# Every commodity and market of the full WFP file, in a few of its rows: tests/data/SOURCES.md.
WFP_CSV = REPO_ROOT / "tests" / "data" / "wfp_kenya_food_prices.csv"

# WFP commodities deliberately not in the catalog because members do not trade them.
NOT_TRADED: frozenset[str] = frozenset()

# Kenya's bounding box, with a little margin.
KENYA_LATITUDE = (-4.8, 5.1)
KENYA_LONGITUDE = (33.8, 42.0)


@pytest.fixture(scope="module")
def products():
    return load_products()


@pytest.fixture(scope="module")
def index(products):
    return alias_index(products)


def test_every_product_has_names_in_all_languages(products):
    assert len(products) >= 50
    for product in products:
        for language in LANGUAGES:
            assert product.names[language], (product.slug, language)
            assert all(name.strip() for name in product.names[language]), (product.slug, language)


def test_units_are_base_units(products):
    assert {p.unit for p in products} <= {"kg", "l", "piece"}


def test_slugs_are_snake_case(products):
    for product in products:
        assert product.slug == product.slug.lower().replace(" ", "_"), product.slug


@pytest.mark.parametrize(
    ("alias", "slug"),
    [
        ("tilapia", "tilapia"),
        ("sato", "tilapia"),
        ("Sangara", "nile_perch"),
        ("dagaa", "omena"),
        ("omena", "omena"),
        ("sukuma wiki", "kale"),
        ("vikapu", "baskets"),
        ("maïs", "maize"),
        ("MAIS", "maize"),
        ("mahindi", "maize"),
        ("milho", "maize"),
        ("feijão", "beans"),
        ("feijao", "beans"),
        ("maharagwe", "beans"),
        ("ndengu", "green_grams"),
        ("unga", "maize_flour"),
        ("kitenge", "fabric"),
        ("kanga", "fabric"),
        ("shanga", "beads"),
        ("vinyago", "carvings"),
        ("vyungu", "pottery"),
        ("maziwa", "milk"),
        # issue 17: local names on the coasts and lakes beyond Kenya
        ("carapau", "horse_mackerel"),
        ("camarão", "prawns"),
        ("lagosta", "lobster"),
        ("caranguejo", "crabs"),
        ("lulas", "squid"),
        ("peixe seco", "dried_fish"),
        ("poisson fumé", "smoked_fish"),
        ("capitaine", "nile_perch"),
        ("mputa", "nile_perch"),
        ("thiof", "grouper"),
        ("yaboye", "sardines"),
        ("sardinelle", "sardines"),
        ("kethiakh", "sardines"),
        ("machoiron", "catfish"),
        ("bar", "croaker"),
        ("carpe", "tilapia"),
        ("ngege", "tilapia"),
        ("mukene", "omena"),
        ("nkejje", "haplochromines"),
        ("furu", "haplochromines"),
        ("bonga", "bonga"),
        ("maquereau", "mackerel"),
        ("manioc", "cassava"),
        ("mandioca", "cassava"),
        ("muhogo", "cassava"),
        ("gari", "gari"),
        ("attiéké", "attieke"),
        ("fonio", "fonio"),
        ("mil", "millet"),
        ("arachide", "groundnuts"),
        ("amendoim", "groundnuts"),
        ("karanga", "groundnuts"),
        ("kiondo", "baskets"),
        ("sisal bags", "baskets"),
        ("capulana", "fabric"),
        ("bark cloth", "bark_cloth"),
    ],
)
def test_owner_examples_resolve_by_alias(index, alias, slug):
    assert index[fold(alias)] == slug


def test_alias_shared_by_two_products_is_rejected(tmp_path):
    catalog = tmp_path / "products.toml"
    catalog.write_text(
        _toml_product("maize", "mahindi") + _toml_product("maize_flour", "Mahindi"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="Mahindi"):
        load_products(catalog)


def test_missing_language_is_rejected(tmp_path):
    catalog = tmp_path / "products.toml"
    catalog.write_text(_toml_product("maize", "mahindi").replace('pt = ["maize pt"]\n', ""), encoding="utf-8")
    with pytest.raises(ValueError, match="maize"):
        load_products(catalog)


def test_unknown_unit_is_rejected(tmp_path):
    catalog = tmp_path / "products.toml"
    catalog.write_text(_toml_product("maize", "mahindi").replace('"kg"', '"bag"'), encoding="utf-8")
    with pytest.raises(ValueError, match="maize"):
        load_products(catalog)


def test_every_wfp_commodity_is_mapped_or_not_traded(products):
    with WFP_CSV.open(newline="", encoding="utf-8") as f:
        commodities = {row["commodity"] for row in csv.DictReader(f)}
    mapped = {c for p in products for c in p.wfp}
    assert commodities - mapped - NOT_TRADED == set()
    assert mapped <= commodities, "catalog maps a commodity the WFP data does not have"


def test_places_are_the_62_wfp_markets_in_kenya():
    places = load_places()
    assert len(places) == 62
    assert len({p.name for p in places}) == 62
    for place in places:
        assert place.country == "KE"
        assert KENYA_LATITUDE[0] <= place.latitude <= KENYA_LATITUDE[1], place.name
        assert KENYA_LONGITUDE[0] <= place.longitude <= KENYA_LONGITUDE[1], place.name


def test_places_match_the_wfp_markets():
    with WFP_CSV.open(newline="", encoding="utf-8") as f:
        markets = {row["market"] for row in csv.DictReader(f)}
    assert {p.name for p in load_places()} == markets


def _toml_product(slug: str, name: str) -> str:
    return (
        f"[products.{slug}]\n"
        'category = "crops"\nunit = "kg"\n'
        f'en = ["{slug} en"]\nsw = ["{name}"]\nfr = ["{slug} fr"]\npt = ["{slug} pt"]\nwfp = []\n'
    )
