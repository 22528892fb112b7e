"""Loads the shipped product catalog and gazetteer into the database (idempotent)."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from locales.i18n import fold
from storage import catalog, clusters
from storage.models import Product, ProductName


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
    """Adds the shipped gazetteer for each country that has none yet."""
    places = catalog.load_places()
    for country in {p.country for p in places}:
        if clusters.gazetteer_size(session, country):
            continue
        for p in places:
            if p.country == country:
                clusters.add_place(session, country=p.country, name=p.name, admin1=p.admin1,
                                   admin2=p.admin2, latitude=p.latitude, longitude=p.longitude)
    session.flush()
