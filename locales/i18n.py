"""Translations (gettext catalogs read with Babel, plural forms included), numbers as each
language writes them, and keyword aliases per language."""
import gettext
import tomllib
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, parse_pattern

LOCALES = Path(__file__).resolve().parent
SHIPPED = ("en", "sw", "fr", "pt")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili", "fr": "Français", "pt": "Português"}


def N_(msgid: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return msgid


class Plural(NamedTuple):
    """A message with a count, `Plural("{count} member", "{count} members")`: translated with
    `count=` (a number), it takes the form the language's plural rule gives for that count."""

    singular: str
    plural: str


def fold(text: str) -> str:
    """Lower-cases and strips accents, so `Maïs`, `MAIS` and `mais` compare equal."""
    if text.isascii():
        return text.lower().strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@lru_cache
def po_file(language: str) -> Catalog | None:
    path = LOCALES / language / "LC_MESSAGES" / "clusterbot.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=language)


@lru_cache
def catalog(language: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> msgstr for one language (a plural message: its singular -> every form);
    English is the source and needs no catalog."""
    po = po_file(language)
    if po is None:
        return {}
    return {(m.id[0] if m.pluralizable else m.id): m.string for m in po
            if m.id and not m.fuzzy and (all(m.string) if m.pluralizable else m.string)}


@lru_cache
def plural_rule(language: str) -> Callable[[int], int]:
    """Which form of a plural message a whole count takes: the catalog's Plural-Forms, which
    Babel writes from CLDR (French and Portuguese: 0 and 1 are singular)."""
    po = po_file(language)
    return gettext.c2py(po.plural_expr if po else "(n != 1)")


def ngettext(language: str | None, singular: str, plural: str, count: float, /,
             **values) -> str:
    """The form of the message that `count` takes in `language` (English when untranslated),
    `{count}` shown as the language writes numbers."""
    language = language or DEFAULT_LANGUAGE
    forms, rule_language = catalog(language).get(singular), language
    if not isinstance(forms, tuple):
        forms, rule_language = (singular, plural), DEFAULT_LANGUAGE
    values.setdefault("count", number(count, language))
    return forms[min(form_index(rule_language, count), len(forms) - 1)].format(**values)


def form_index(language: str, count: float) -> int:
    """Which plural form `count` takes. Gettext rules know whole numbers only; a count with
    decimals (1.5 bags) takes its CLDR category (French: one) in the order Babel wrote the
    catalog's rule in (zero, one, two, few, many, other)."""
    if count == int(count):
        return plural_rule(language)(abs(int(count)))
    rule = Locale.parse(language).plural_form
    used = [tag for tag in ("zero", "one", "two", "few", "many", "other")
            if tag in rule.tags or tag == "other"]
    return used.index(rule(abs(count)))


def translate(language: str | None, msgid: str | Plural, /, **values) -> str:
    """The message in `language` (English when missing), with `{placeholders}` filled in; a
    Plural message takes the form of its `count`."""
    if isinstance(msgid, Plural):
        return ngettext(language, *msgid, values.pop("count"), **values)
    text = catalog(language or DEFAULT_LANGUAGE).get(msgid, msgid)
    return text.format(**values) if values else text


def number(value: float, language: str | None) -> str:
    """`24,000` and `1.5` (`24 000` and `1,5` in French, `24.000` in Portuguese): Babel's digits
    for the language, no needless decimals, at most two. French groups digits with a narrow
    no-break space, which is outside GSM-7 (an SMS would cost double): a plain space here."""
    locale, pattern = decimal_format(language or DEFAULT_LANGUAGE)
    return pattern.apply(value, locale).replace("\u202f", " ").replace("\xa0", " ")


@lru_cache
def decimal_format(language: str) -> tuple[Locale, NumberPattern]:
    """What Babel's format_decimal works out again at every call (a price list has dozens)."""
    return Locale.parse(language), parse_pattern("#,##0.##")


@lru_cache
def keyword_aliases() -> dict[str, dict[str, tuple[str, ...]]]:
    """keyword -> language -> folded aliases, from locales/keywords.toml."""
    with (LOCALES / "keywords.toml").open("rb") as f:
        raw = tomllib.load(f)
    return {
        keyword: {lang: tuple(fold(a) for a in aliases) for lang, aliases in by_lang.items()}
        for keyword, by_lang in raw.items()
    }


@lru_cache
def keyword_index() -> dict[str, str]:
    """folded alias -> keyword, over every shipped language (and Telegram /commands)."""
    index: dict[str, str] = {}
    for keyword, by_lang in keyword_aliases().items():
        for aliases in by_lang.values():
            for alias in aliases:
                index.setdefault(alias, keyword)
    return index


def command_word(word: str) -> str:
    """A typed first word as a bare folded word: `/Start@ClusterBot` -> `start`, `JOIN!` -> `join`."""
    return fold(word).lstrip("/").split("@", 1)[0].rstrip(".!?,:;")


def keyword_of(word: str) -> str | None:
    """The keyword a word stands for in any language: `JIUNGE`, `/start`, `Inscrire` -> `join`."""
    return keyword_index().get(command_word(word))


def keyword_word(keyword: str, language: str | None) -> str:
    """The word a member should type for `keyword` in their language, upper-cased: `JIUNGE`."""
    aliases = keyword_aliases()[keyword]
    return (aliases.get(language or DEFAULT_LANGUAGE) or aliases[DEFAULT_LANGUAGE])[0].upper()
