"""How FIND decides what fits: the words a listed member or an institution can be found by (its
products in every language, its role, its business name; an institution's name, services and
categories), how well a query fits them, and the order of the results (fit, then distance)."""
import math
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from locales import directory as vocabulary
from locales.i18n import fold
from storage import directory_search, products
from storage.directory import Institution
from storage.market import haversine_km
from storage.models import Member

FITS = 85  # a result fits at or above this (of 100)
EXACT = 99  # at or above: every word of the query is a word of its name
MOST_RESULTS = 30  # kept per search: MORE shows them three at a time
# Words that say nothing of what is looked for ("someone FOR ice", "mtu WA barafu").
STOP_WORDS = {"a", "an", "the", "of", "for", "and", "to", "in", "someone", "who", "ya", "wa",
              "za", "la", "cha", "kwa", "na", "mtu", "de", "du", "des", "le", "les", "un",
              "une", "pour", "et", "da", "do", "das", "dos", "o", "os", "e", "para", "em", "um",
              "uma"}


@dataclass(frozen=True)
class Found:
    kind: str  # "member" or "institution"
    id: int
    fit: float
    km: float | None
    name: str


def query_words(text: str) -> list[str]:
    """The folded words of a query that say what is looked for."""
    words = fold(text).replace("-", " ").replace(",", " ").split()
    return [w for w in words if w not in STOP_WORDS] or words


def word_score(typed: str, known: str) -> float:
    """100 for the same word; 95 for a plural or other short ending (`loan`, `loans`); a typo's
    similarity for words of four letters or more (`tilapa`); else 0: `ice` is not `rice`."""
    if typed == known:
        return 100
    short, long = sorted((typed, known), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2:
        return 95
    return fuzz.ratio(typed, known) if len(short) >= 4 else 0


def fit(words: list[str], name: str) -> float:
    """How well the query's words fit a name: the mean, over the query's words, of the best
    score of each against the name's words."""
    known = fold(name).replace("-", " ").split()
    if not words or not known:
        return 0
    return sum(max(word_score(w, k) for k in known) for w in words) / len(words)


def product_aliases(session: Session) -> dict[int, list[str]]:
    """product id -> its names in every language."""
    aliases: dict[int, list[str]] = {}
    for product_id, _lang, _name, folded in products.all_names(session):
        aliases.setdefault(product_id, []).append(folded)
    return aliases


def member_names(member: Member, cluster_ids: set[int], aliases: dict[int, list[str]],
                 roles: dict[str, list[str]]) -> list[str]:
    """What a listed member can be found by."""
    names = [member.business_name or "", member.name or ""]
    for product in member.products:
        names.append(product.raw_name)
        names.extend(aliases.get(product.product_id, []))
    for membership in member.memberships:
        if membership.cluster_id in cluster_ids:
            names.extend(roles.get(membership.role, []))
    return [n for n in names if n]


def institution_names(institution: Institution, categories: dict[str, list[str]]) -> list[str]:
    """What an institution can be found by."""
    names = [institution.name, *institution.services]
    for slug in institution.categories:
        names.extend(categories.get(slug, []))
    return names


def names_by_slug(table: str) -> dict[str, list[str]]:
    by_slug: dict[str, list[str]] = {}
    for name, slug in vocabulary.words(table).items():
        by_slug.setdefault(slug, []).append(name)
    return by_slug


def distance(origin: tuple[float, float] | None, place) -> float | None:
    if origin is None or place is None or None in (place.latitude, place.longitude):
        return None
    return haversine_km(origin[0], origin[1], place.latitude, place.longitude)


def rank(session: Session, searcher: Member, cluster_ids: list[int], what: str,
         origin: tuple[float, float] | None) -> list[Found]:
    """The listed members and institutions of the clusters that fit `what`: those whose names
    all the query's words are in first, then the nearest to `origin` (unknown distance last)."""
    words = query_words(what)
    aliases, roles = product_aliases(session), names_by_slug("roles")
    categories = names_by_slug("categories")
    found = []
    for member in directory_search.findable_members(session, cluster_ids, searcher.id):
        score = max((fit(words, n) for n in member_names(member, set(cluster_ids), aliases, roles)),
                    default=0)
        if score >= FITS:
            found.append(Found("member", member.id, score, distance(origin, member.place),
                               member.business_name or member.name or ""))
    for institution in directory_search.institutions_in(session, cluster_ids):
        score = max(fit(words, n) for n in institution_names(institution, categories))
        if score >= FITS:
            found.append(Found("institution", institution.id, score,
                               distance(origin, institution.place), institution.name))
    found.sort(key=lambda f: (f.fit < EXACT, math.inf if f.km is None else f.km,
                              fold(f.name), f.kind, f.id))
    return found[:MOST_RESULTS]
