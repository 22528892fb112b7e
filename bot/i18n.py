"""Translations (gettext catalogs read with Babel) and keyword aliases per language."""
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
SHIPPED = ("en", "sw", "fr", "pt")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili", "fr": "Français", "pt": "Português"}


def N_(msgid: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return msgid


def fold(text: str) -> str:
    """Lower-cases and strips accents, so `Maïs`, `MAIS` and `mais` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@lru_cache
def catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr for one language; English is the source and needs no catalog."""
    path = LOCALES / language / "LC_MESSAGES" / "clusterbot.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        po = read_po(f, locale=language)
    return {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}


def translate(language: str | None, msgid: str, /, **values) -> str:
    """The message in `language` (English when missing), with `{placeholders}` filled in."""
    text = catalog(language or DEFAULT_LANGUAGE).get(msgid, msgid)
    return text.format(**values) if values else text


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
