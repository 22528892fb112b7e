"""The product catalog: products and their names in every language."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Product, ProductName


def by_slug(session: Session, slug: str) -> Product | None:
    return session.scalar(select(Product).where(Product.slug == slug))


def all_names(session: Session) -> list[tuple[int, str, str, str]]:
    """(product id, language, name, folded name) for every alias in the catalog."""
    rows = session.execute(
        select(ProductName.product_id, ProductName.language, ProductName.name, ProductName.folded)
    )
    return [tuple(row) for row in rows]


def display_name(product: Product, language: str) -> str:
    """The product's first name in `language` (English when it has none)."""
    names = sorted(product.names, key=lambda n: n.position)
    for lang in (language, "en"):
        for name in names:
            if name.language == lang:
                return name.name
    return product.slug
