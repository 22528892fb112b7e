"""The directory's vocabulary (directory.toml): the names of support institutions' categories and
of members' roles in every shipped language, for FIND to read and pages to show."""
import tomllib
from functools import lru_cache

from locales.i18n import DEFAULT_LANGUAGE, LOCALES, SHIPPED, fold

VOCABULARY_PATH = LOCALES / "directory.toml"


@lru_cache
def vocabulary() -> dict[str, dict[str, dict[str, tuple[str, ...]]]]:
    """{"categories"|"roles": slug -> language -> names}, in file order; ValueError on a
    language without names or a name two slugs of one table share."""
    with VOCABULARY_PATH.open("rb") as f:
        raw = tomllib.load(f)
    found = {}
    for table in ("categories", "roles"):
        owners: dict[str, str] = {}
        entries = {}
        for slug, entry in raw.get(table, {}).items():
            names = {}
            for lang in SHIPPED:
                given = entry.get(lang) or []
                if not given or not all(isinstance(n, str) and n.strip() for n in given):
                    raise ValueError(f"{table} {slug!r}: needs non-empty names in {lang!r}")
                names[lang] = tuple(given)
                for name in given:
                    if owners.setdefault(fold(name), slug) != slug:
                        raise ValueError(f"{name!r} of {slug!r} is also a name of "
                                         f"{owners[fold(name)]!r}")
            entries[slug] = names
        found[table] = entries
    return found


def words(table: str) -> dict[str, str]:
    """folded name -> slug over every language, for `table` "categories" or "roles"."""
    return {fold(name): slug for slug, names in vocabulary()[table].items()
            for given in names.values() for name in given}


def category_name(slug: str, lang: str | None) -> str:
    """The category's display name in `lang` (its slug when it left the vocabulary)."""
    names = vocabulary()["categories"].get(slug)
    if names is None:
        return slug
    return (names.get(lang or DEFAULT_LANGUAGE) or names[DEFAULT_LANGUAGE])[0]
