"""Reads product names as members type them, in any language and with typos."""
from sqlalchemy.orm import Session

from handlers.matching import best, split_list, sure
from locales.i18n import fold
from storage import products

NONE_WORDS = {"none", "no", "hakuna", "aucun", "rien", "nenhum", "nada", "0", "-"}


def catalog_names(session: Session) -> dict[str, int]:
    """folded alias -> product id, over every language."""
    return {folded: product_id for product_id, _lang, _name, folded in products.all_names(session)}


def read_one(names: dict[str, int], text: str) -> int | None:
    """The catalog product `text` names, or None when it is not (surely) one."""
    match = sure(best(text, names))
    if match:
        return match.key
    # "sato mbichi": one word is exactly a product name, the others describe it.
    found = {names[w] for w in map(fold, text.split()) if w in names}
    return found.pop() if len(found) == 1 else None


def read_list(session: Session, text: str) -> list[tuple[int | None, str]]:
    """(product id or None, name as typed) for each product in a typed list, without repeats."""
    names = catalog_names(session)
    found: list[tuple[int | None, str]] = []
    for part in split_list(text):
        item = (read_one(names, part), part[:100])
        if not any(item[0] is not None and item[0] == f[0] or item[1].casefold() == f[1].casefold()
                   for f in found):
            found.append(item)
    return found
