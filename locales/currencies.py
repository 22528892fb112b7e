"""How money is written (currencies.toml): the marks people put before or after a price (`ksh`,
`/=`, `bob`, `FCFA`, `F`, `MT`) and the ISO 4217 currency each means in a cluster's country."""
import tomllib
from functools import lru_cache

from locales.i18n import LOCALES, fold
from locales.locality import currency_of

TABLE_PATH = LOCALES / "currencies.toml"


@lru_cache
def _table() -> dict:
    with TABLE_PATH.open("rb") as file:
        return tomllib.load(file)


@lru_cache
def _meanings() -> dict[str, tuple[str, ...]]:
    """Each written mark -> the currencies it may mean (one, or a shared mark's several)."""
    table = _table()
    meanings = {key(mark): (code,) for code, marks in table["written"].items() for mark in marks}
    for shared in table["shared"].values():
        meanings.update(dict.fromkeys(map(key, shared["written"]), tuple(shared["currencies"])))
    return meanings


def key(mark: str) -> str:
    """A mark as the table is looked up: folded, dots inside it as spaces, one space between its
    parts (`F.CFA`, `f  cfa` -> `f cfa`; `Ksh.` -> `ksh`)."""
    return " ".join(fold(mark).rstrip(".").replace(".", " ").split())


def marks(country: str | None = None) -> list[str]:
    """The marks that mean money in `country` (as `key` writes them), longest first: `MT` is
    metric tonnes outside Mozambique, so it is money only there (and where the country is
    unknown)."""
    return sorted((mark for mark in _meanings() if not is_tonnes(mark, country)),
                  key=len, reverse=True)


def is_tonnes(mark: str, country: str | None) -> bool:
    """`MT` outside Mozambique: metric tonnes, not meticais."""
    if country is None:
        return False
    return any(key(mark) in map(key, written) and country.upper() != home
               for home, written in _table()["tonnes_outside"].items())


def meanings(mark: str) -> tuple[str, ...]:
    """The currencies a mark may mean: one (`ksh`: KES), several (`F`), none (not money)."""
    return _meanings().get(key(mark), ())


def currency_written(mark: str, country: str | None) -> str | None:
    """The currency a mark means in a cluster of `country`: `F` -> XOF in SN, XAF in CM; `sh` ->
    KES, UGX or TZS; `ksh` -> KES anywhere. None for an unknown mark, and for a shared mark when
    the country is unknown (the price is then in the cluster's currency)."""
    possible = meanings(mark)
    if not possible:
        return None
    if len(possible) == 1:
        return possible[0]
    if country is None:
        return None
    home = currency_of(country)
    return home if home in possible else possible[0]


def least_per_kg(currency: str | None) -> float | None:
    """The least a kilo of goods sold by the tonne costs in `currency`; None when not known."""
    return _table()["least_per_kg"].get(currency or "")
