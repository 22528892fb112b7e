"""The skills catalog (skills.toml): each skill's names in every shipped language and the roles
it is offered to, and how a skill is named to a reader."""
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from locales.i18n import DEFAULT_LANGUAGE, LOCALES, SHIPPED, fold

CATALOG_PATH = LOCALES / "skills.toml"
TOKEN = re.compile(r"[,;/&+]|[^\s,;/&+]+")


@dataclass(frozen=True)
class Skill:
    slug: str
    names: dict[str, tuple[str, ...]]  # language -> names, display name first
    roles: tuple[str, ...]  # roles whose members are offered it


def words_of(text: str) -> list[str]:
    """`Fish handling & hygiene,` -> [`Fish`, `handling`, `&`, `hygiene`, `,`]."""
    return TOKEN.findall(text)


def key(word: str) -> str:
    """A word as matching compares it: folded, without the punctuation around it."""
    return fold(word).strip(".!?:()\"'")


@lru_cache
def catalog() -> dict[str, Skill]:
    """slug -> skill, in file order; ValueError on a missing name or one two skills share."""
    with CATALOG_PATH.open("rb") as f:
        raw = tomllib.load(f)
    skills: dict[str, Skill] = {}
    owners: dict[tuple[str, ...], str] = {}
    for slug, entry in raw.get("skills", {}).items():
        names = {}
        for lang in SHIPPED:
            given = entry.get(lang) or []
            if not given or not all(isinstance(n, str) and n.strip() for n in given):
                raise ValueError(f"skill {slug!r}: needs non-empty names in {lang!r}")
            names[lang] = tuple(given)
            for name in given:
                owner = owners.setdefault(tuple(map(key, words_of(name))), slug)
                if owner != slug:
                    raise ValueError(f"name {name!r} of {slug!r} is also a name of {owner!r}")
        skills[slug] = Skill(slug, names, tuple(entry.get("roles", [])))
    return skills


def skill_name(slug: str, lang: str | None) -> str:
    """The skill's display name in `lang` (its slug when it left the catalog)."""
    skill = catalog().get(slug)
    if skill is None:
        return slug
    return (skill.names.get(lang or DEFAULT_LANGUAGE) or skill.names[DEFAULT_LANGUAGE])[0]
