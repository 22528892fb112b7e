"""Reads the shipped product catalog and gazetteer (seed data)."""
import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

from locales.i18n import fold

LANGUAGES = ("en", "sw", "fr", "pt")
UNITS = ("kg", "l", "piece")
PRODUCTS_PATH = Path(__file__).resolve().parent.parent / "locales" / "products.toml"
PLACES_PATH = Path(__file__).resolve().parent / "data" / "places.csv"


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
