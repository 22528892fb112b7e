"""Loads the shipped product catalog and gazetteer into the database (idempotent)."""
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from locales.i18n import fold
from storage import catalog
from storage.models import Place, Product, ProductName


def seed(session: Session) -> None:
    seed_products(session)
    seed_places(session)


def seed_products(session: Session) -> None:
    """Adds catalog products and names that the database does not have yet."""
    existing = {p.slug: p for p in session.scalars(select(Product))}
    for item in catalog.load_products():
        product = existing.get(item.slug)
        if product is None:
            product = Product(slug=item.slug, category=item.category, unit=item.unit)
            session.add(product)
        known = {(n.language, n.folded) for n in product.names}
        for language, names in item.names.items():
            for position, name in enumerate(names):
                if (language, fold(name)) not in known:
                    known.add((language, fold(name)))
                    product.names.append(ProductName(language=language, name=name,
                                                     folded=fold(name), position=position))
    session.flush()


def seed_places(session: Session) -> None:
    """Adds the places of the shipped gazetteer (the WFP markets, the GeoNames towns) that the
    database does not have yet, in one insert, and gives those it has the names people use
    for them (storage.catalog.load_gazetteer)."""
    stored = {(country, name, round(latitude or 0, 3), round(longitude or 0, 3)): (id_, aliases)
              for id_, country, name, latitude, longitude, aliases in session.execute(
                  select(Place.id, Place.country, Place.name, Place.latitude, Place.longitude,
                         Place.aliases).where(Place.cluster_id.is_(None)))}
    missing, renamed = [], []
    for seed_place in catalog.shipped_gazetteer():
        key = (seed_place.country, seed_place.name, round(seed_place.latitude or 0, 3),
               round(seed_place.longitude or 0, 3))
        aliases = list(seed_place.aliases) or None
        if key not in stored:
            missing.append({"country": seed_place.country, "name": seed_place.name,
                            "admin1": seed_place.admin1, "admin2": seed_place.admin2 or None,
                            "latitude": seed_place.latitude, "longitude": seed_place.longitude,
                            "aliases": aliases})
        elif stored[key][1] != aliases:
            renamed.append({"id": stored[key][0], "aliases": aliases})
    if missing:
        session.execute(insert(Place), missing)
    if renamed:
        session.execute(update(Place), renamed)
    session.flush()
