"""How a product, a unit or a long name is shown to a member: one helper each."""
from sqlalchemy.orm import Session

from locales.i18n import N_, translate
from storage import products

PER_UNIT = {"piece": N_("piece"), "bag": N_("bag"), "crate": N_("crate"), "debe": N_("debe"),
            "basin": N_("basin"), "bucket": N_("bucket"), "bunch": N_("bunch"),
            "carton": N_("carton")}


def shorten(text: str, limit: int = 30) -> str:
    """The text cut to `limit` characters, `...` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unit_label(unit: str, lang: str | None) -> str:
    """The unit a price is per, in the singular: `kg`, `l`, `piece` (`kipande`)."""
    return translate(lang, PER_UNIT[unit]) if unit in PER_UNIT else unit


def product_label(session: Session, product_id: int | None, lang: str | None,
                  fallback: str = "") -> str:
    """The catalog product's name in the member's language; `fallback` (what they typed) for a
    product outside the catalog."""
    if not product_id:
        return fallback
    return products.names(session).label(product_id, lang or "en")
