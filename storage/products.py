"""The product catalog: products and their names in every language."""
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, lazyload

from storage.models import Product, ProductName


def get(session: Session, product_id: int) -> Product | None:
    """The product, its names loaded only when used (`names` has them all already)."""
    return session.scalars(PRODUCT, {"product_id": product_id}).first()


PRODUCT = (select(Product).where(Product.id == bindparam("product_id"))  # built once
           .options(lazyload(Product.names)))


def by_slug(session: Session, slug: str) -> Product | None:
    return session.scalar(select(Product).where(Product.slug == slug))


@dataclass(frozen=True)
class Names:
    """Every name of the catalog's products, as read at one time."""

    rows: list[tuple[int, str, str, str]]  # (product id, language, name, folded name)
    firsts: dict[tuple[int, str], str]  # (product id, language) -> its first name there
    slugs: dict[int, str]
    by_folded: dict[str, int] = field(init=False)  # folded name -> product id

    def __post_init__(self):
        object.__setattr__(self, "by_folded", {folded: id_ for id_, _l, _n, folded in self.rows})

    def label(self, product_id: int, language: str) -> str:
        """The product's first name in `language` (English when it has none)."""
        for lang in (language, "en"):
            if (product_id, lang) in self.firsts:
                return self.firsts[product_id, lang]
        return self.slugs[product_id]


KEPT: dict[tuple, Names] = {}  # (database, count of names, last name's id) -> the names
NAMES_VERSION = select(func.count(ProductName.id), func.max(ProductName.id))  # built once


def names(session: Session) -> Names:
    """The catalog's names, read once per process (they are hundreds, and every listing, price
    and profile answer reads them): names are only ever added (storage.seed), so their count and
    last id tell whether the copy kept is still the database's."""
    if "product_names" in session.info:  # looked at once per transaction
        return session.info["product_names"]
    count, last = session.execute(NAMES_VERSION).one()
    key = (str(session.get_bind().url), count, last)
    if key not in KEPT:
        rows = session.execute(select(ProductName.product_id, ProductName.language,
                                      ProductName.name, ProductName.folded)
                               .order_by(ProductName.product_id, ProductName.position,
                                         ProductName.id)).all()
        firsts: dict[tuple[int, str], str] = {}
        for product_id, language, name, _folded in rows:
            firsts.setdefault((product_id, language), name)
        KEPT.clear()  # one database at a time, in practice
        KEPT[key] = Names([tuple(row) for row in rows], firsts,
                          dict(session.execute(select(Product.id, Product.slug)).all()))
    session.info["product_names"] = KEPT[key]
    return KEPT[key]


def all_names(session: Session) -> list[tuple[int, str, str, str]]:
    """(product id, language, name, folded name) for every alias in the catalog."""
    return names(session).rows


def display_name(product: Product, language: str) -> str:
    """The product's first name in `language` (English when it has none)."""
    names = sorted(product.names, key=lambda n: n.position)
    for lang in (language, "en"):
        for name in names:
            if name.language == lang:
                return name.name
    return product.slug
