"""Reads product names as members type them, in any language and with typos, and the forms a
product is kept in (dried, smoked, frozen, fresh...)."""
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

from sqlalchemy.orm import Session

from handlers.matching import best, split_list, sure
from locales.i18n import fold
from storage import products
from storage.catalog import LANGUAGES, PRODUCTS_PATH

NONE_WORDS = {"none", "no", "hakuna", "aucun", "rien", "nenhum", "nada", "0", "-"}


def catalog_names(session: Session) -> dict[str, int]:
    """folded alias -> product id, over every language."""
    return products.names(session).by_folded


def read_one(names: dict[str, int], text: str) -> int | None:
    """The catalog product `text` names, or None when it is not (surely) one."""
    match = sure(best(text, names))
    if match:
        return match.key
    # "sato mbichi": one word is exactly a product name, the others describe it.
    found = {names[w] for w in map(fold, text.split()) if w in names}
    return found.pop() if len(found) == 1 else None


def read_list(session: Session, text: str,
              product: Callable[[str], int | None] | None = None) -> list[tuple[int | None, str]]:
    """(product id or None, name as typed) for each product in a typed list, without repeats.
    `product` tells the catalog product of one name (by default read_one over the catalog)."""
    product = product or partial(read_one, catalog_names(session))
    found: list[tuple[int | None, str]] = []
    for part in split_list(text):
        item = (product(part), part[:100])
        if not any(item[0] is not None and item[0] == f[0] or item[1].casefold() == f[1].casefold()
                   for f in found):
            found.append(item)
    return found


@dataclass(frozen=True)
class Forms:
    """The forms of locales/products.toml: their words and the catalog names that say one."""

    words: dict[tuple[str, ...], str]  # folded words (`wa`, `kukaushwa`) -> form (`dried`)
    names: dict[str, str]  # folded catalog name (`kethiakh`) -> the form it says (`smoked`)


@lru_cache
def forms() -> Forms:
    """The product forms (`kavu`, `fumé`, `congelado`, `frozen`...) read from the catalog file."""
    with PRODUCTS_PATH.open("rb") as f:
        tables = tomllib.load(f).get("forms", {})
    words: dict[tuple[str, ...], str] = {}
    names: dict[str, str] = {}
    for form, table in tables.items():
        for language in LANGUAGES:
            words.update(dict.fromkeys((tuple(fold(w).split())
                                        for w in table.get(language, ())), form))
        names.update(dict.fromkeys(map(fold, table.get("names", ())), form))
    return Forms(words, names)
