"""Fuzzy matching of what members type to known things: places, products, options."""
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from locales.i18n import fold

SURE = 90  # at or above: taken without asking
CLOSE = 75  # at or above: offered as "did you mean"


@dataclass(frozen=True)
class Match:
    key: object
    name: str
    score: float


def best(text: str, names: dict[str, object], limit: int = 3) -> list[Match]:
    """The known names closest to `text`, best first; `names` maps folded name -> key."""
    query = fold(text)
    if not query or not names:
        return []
    # token_sort_ratio forgives typos and word order but, unlike WRatio, gives no credit for
    # a short name hidden inside a long one ("mat" in "tomatoes").
    _, listed, words = kept(names)
    found = process.extract(words_of(query), words, scorer=fuzz.token_sort_ratio,
                            limit=limit * 3, score_cutoff=CLOSE)
    matches, seen = [], set()
    for _, score, index in found:
        name = listed[index]
        key = names[name]
        if key not in seen:
            seen.add(key)
            matches.append(Match(key, name, score))
    return matches[:limit]


def words_of(name: str) -> str:
    """`feijão-guandu` and `feijão guandu` are the same words."""
    return name.replace("-", " ")


KEPT_AT = 200  # names from which on `kept` keeps what it worked out
KEPT: dict[int, tuple[dict, list[str], list[str]]] = {}  # id -> (names, list, their words)


def kept(names: dict[str, object]) -> tuple[dict, list[str], list[str]]:
    """(names, their list, their words): the words worked out once for the big indexes kept per
    process (a country's places, the catalog: handlers.places.known, storage.products.names)
    rather than at every message. Holding `names` keeps its id from being given again."""
    listed = list(names)
    if len(listed) < KEPT_AT:
        return names, listed, [words_of(name) for name in listed]
    found = KEPT.get(id(names))
    if found is None or found[1] != listed:  # a list compare is C: cheap beside words_of's
        if len(KEPT) >= 32:
            KEPT.pop(next(iter(KEPT)))
        found = KEPT[id(names)] = (names, listed, [words_of(name) for name in listed])
    return found


def sure(matches: list[Match]) -> Match | None:
    """The one match good enough to take without asking, if any."""
    if matches and matches[0].score >= SURE:
        if len(matches) == 1 or matches[1].score < matches[0].score - 3 or matches[0].score == 100:
            return matches[0]
    return None


# Separators of a list: commas and the word "and" in each shipped language.
LIST_SEPARATORS = re.compile(r"\s*(?:[,;/&+]|\band\b|\bna\b|\bet\b|\be\b|\bn\b)\s*", re.IGNORECASE)


def split_list(text: str) -> list[str]:
    """`sato, dagaa na sukuma wiki` -> [`sato`, `dagaa`, `sukuma wiki`]."""
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part and part.strip()]
