"""How a result of FIND is written: one line a member reads on SMS or presses on Telegram
(`Mama Samaki: omena, Kisumu 3km`), what fits the query first."""
from sqlalchemy.orm import Session

from handlers.directory.ranking import distance, fit, query_words
from handlers.labels import product_label, shorten
from locales import directory as vocabulary
from locales.i18n import N_, translate
from storage.directory import DirectorySearch, Institution
from storage.models import Member

NAME, WHAT, PLACE = 24, 28, 16  # the longest shown of each part of a line
NOT_VERIFIED = N_("not verified")


def origin_of(search: DirectorySearch) -> tuple[float, float] | None:
    if search.latitude is None or search.longitude is None:
        return None
    return search.latitude, search.longitude


def line(session: Session, search: DirectorySearch, kind: str, found: Member | Institution,
         lang: str) -> str:
    """`Name: what they offer (the fitting first), place 3km`, and `(not verified)` for an
    institution nobody checked."""
    words = query_words(search.query)
    if kind == "member":
        name = found.business_name or found.name or "-"
        offers = member_offers(session, found, words, lang)
    else:
        name = found.name
        named = [vocabulary.category_name(c, lang) for c in found.categories]
        offers = sorted(found.services, key=lambda s: -fit(words, s)) or named
    text = f"{shorten(name, NAME)}: {shorten(', '.join(offers) or '-', WHAT)}"
    where = found.place.name if found.place else found.place_name
    if where:
        text += f", {shorten(where.split(' (')[0], PLACE)}"
    km = distance(origin_of(search), found.place)
    if km is not None:
        text += f" {round(km)}km"
    if kind == "institution" and not found.verified:
        text += f" ({translate(lang, NOT_VERIFIED)})"
    return text


def member_offers(session: Session, member: Member, words: list[str], lang: str) -> list[str]:
    """The member's products in `lang`, those the query names first."""
    def score(offered) -> float:
        aliases = offered.product.names if offered.product else []
        return max(fit(words, name) for name in [offered.raw_name, *(a.name for a in aliases)])
    return [product_label(session, p.product_id, lang, p.raw_name)
            for p in sorted(member.products, key=lambda p: -score(p))]
