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
    found = process.extract(query, list(names), scorer=fuzz.token_sort_ratio, limit=limit * 3,
                            score_cutoff=CLOSE, processor=words_of)
    matches, seen = [], set()
    for name, score, _ in found:
        key = names[name]
        if key not in seen:
            seen.add(key)
            matches.append(Match(key, name, score))
    return matches[:limit]


def words_of(name: str) -> str:
    """`feijão-guandu` and `feijão guandu` are the same words."""
    return name.replace("-", " ")


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
