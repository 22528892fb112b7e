"""Reads prices and quantities as people write them: `120/kg`, `KES 1,480/90kg`, `bei 280`, `3 bags`.

Units are brought to a base unit: weights to `kg`, volumes to `l`, counts to `piece`, so
`1,480/90kg` is 16.44 per kg and `500 ml` is 0.5 l. A bag or crate of unknown size stays
`bag` / `crate`; a bag whose size is written (`90kg bag`) is that many kg.

    read_price("1,480/90kg")  -> (16.444..., "kg")
    read_price("bei 280")     -> (280.0, None)      # no unit: the product's own
    read_quantity("2 tonnes") -> (2000.0, "kg")
    find_price("tilapia 120/kg Kisumu") -> Found(120.0, "kg", start=8, end=14)
"""
import re
from dataclasses import dataclass

BASE_UNITS = ("kg", "l", "piece")
CONTAINERS = ("bag", "crate")

# written unit -> (base unit, how many base units one of it is); containers have no size.
_UNITS: dict[str, tuple[str, float | None]] = {}
for _words, _unit in (
    ("g gm gms gr gram grams gramme grammes gramu grama gramas", ("kg", 0.001)),
    ("kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes kilogramu quilo quilos "
     "quilograma quilogramas", ("kg", 1.0)),
    ("t ton tons tonne tonnes tani tonelada toneladas", ("kg", 1000.0)),
    ("l lt ltr ltrs litre litres liter liters lita litro litros", ("l", 1.0)),
    ("ml millilitre millilitres milliliter milliliters mililita mililitro mililitros", ("l", 0.001)),
    ("piece pieces pièce pièces pc pcs each unit units unité unités kipande vipande peça peças "
     "peca pecas unidade unidades", ("piece", 1.0)),
    ("bag bags sack sacks gunia magunia sac sacs saco sacos", ("bag", None)),
    ("crate crates kreti makreti caisse caisses caixa caixas", ("crate", None)),
):
    _UNITS.update(dict.fromkeys(_words.split(), _unit))

# Words around a price that say nothing about its value: currencies and "price" itself.
_CURRENCY = (r"kes|kshs?|shs?|shillings?|shilingi|tshs?|tzs|ugx|ush|rwf|bif|usd|mzn|mt|xof|"
             r"fcfa|cfa|bei|price|prix|pre[cç]o|\$|€")
# Words between a price and its unit: "120 per kg", "120 kwa kilo", "120 le kg", "120 por kg".
_PER = r"per|kwa|par|le|la|por|o|a"
_NUMBER = r"\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d{1,13}(?:[.,]\d{1,2})?"
_UNIT = "|".join(sorted((re.escape(w) for w in _UNITS), key=len, reverse=True))
_CONTAINER = "|".join(w for w, (base, _) in _UNITS.items() if base in CONTAINERS)

# A number not glued to letters or other digits (`10^12`, `1e12`, `abc5` are no prices).
_PRICE = re.compile(
    rf"(?<![\w.,^])(?:(?:{_CURRENCY})\.?\s*)?(?P<amount>{_NUMBER})(?:\s*/=)?(?:\s*(?:{_CURRENCY})\b)?"
    rf"(?:(?:\s*[/@]\s*|\s+(?:{_PER})\s+)(?:(?P<size>{_NUMBER})\s*)?(?P<unit>{_UNIT})"
    rf"|\s*(?P<bare_unit>{_UNIT}))?(?:\s+(?:{_CONTAINER}))?(?![\w^])",
    re.IGNORECASE)
_QUANTITY = re.compile(
    rf"^\s*(?P<count>{_NUMBER})\s*(?P<unit>{_UNIT})?"
    rf"(?:\s*(?:x|\*|\bof|\bya|\bla|\bde|\bda|\bdo)\s*(?P<size>{_NUMBER})\s*(?P<size_unit>{_UNIT})"
    rf"(?:\s+(?:{_CONTAINER}))?)?\s*$"
    rf"|^\s*(?P<lone>{_UNIT})\s*$",
    re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """A price found inside a longer text: per base unit (or None), and where it was."""

    amount: float
    unit: str | None
    start: int
    end: int


def read_number(text: str) -> float | None:
    """`1,480` -> 1480, `12.5` and `12,5` -> 12.5, `1.480,50` -> 1480.5; None if not a number."""
    text = text.strip()
    if not re.fullmatch(_NUMBER, text):
        return None
    marks = [c for c in text if c in ",."]
    if not marks:
        return float(text)
    last = max(text.rfind(","), text.rfind("."))
    # One mark with three digits after it groups thousands (1,480; 12.500); else it is decimal.
    if len(marks) == 1 and len(text) - last - 1 == 3:
        return float(text.replace(",", "").replace(".", ""))
    whole, decimals = text[:last], text[last + 1:]
    if len(decimals) == 3:  # 1,480,000
        return float(text.replace(",", "").replace(".", ""))
    return float(f"{whole.replace(',', '').replace('.', '')}.{decimals}")


def read_unit(word: str) -> tuple[str, float | None] | None:
    """(base unit, size in it) of a written unit: `ml` -> ("l", 0.001), `gunia` -> ("bag", None)."""
    return _UNITS.get(word.strip().casefold())


def find_price(text: str) -> Found | None:
    """The price in `text`: the first written per unit (`120/kg`), else with a unit, else a number."""
    candidates = []
    for match in _PRICE.finditer(text):
        amount, unit = _price_of(match)
        # "120/kg" names its unit on purpose; in "50kg 120/kg" the bare "50kg" is a quantity.
        rank = 0 if match.group("unit") else 1 if unit else 2
        candidates.append((rank, len(candidates), Found(amount, unit, match.start(), match.end())))
    return min(candidates)[2] if candidates else None


def read_price(text: str) -> tuple[float, str | None] | None:
    """(amount per base unit, base unit or None when none is written) when `text` is one price
    and nothing else (currency words aside); None otherwise."""
    found = find_price(text)
    if found is None or text[:found.start].strip() or text[found.end:].strip(" .!"):
        return None
    return found.amount, found.unit


def read_quantity(text: str) -> tuple[float, str | None] | None:
    """(amount in the base unit, base unit or None when none is written) of `50kg`, `2 tonnes`,
    `500 ml`, `3 bags` (a container unit), `3 bags of 90kg` (270 kg), `Unit` (1 piece); None
    when `text` is not one quantity."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    if match.group("lone"):
        base, size = read_unit(match.group("lone"))
        return size or 1.0, base
    count = read_number(match.group("count"))
    unit = read_unit(match.group("unit")) if match.group("unit") else None
    if match.group("size"):
        base, size = read_unit(match.group("size_unit"))
        if size is None:
            return None
        return count * read_number(match.group("size")) * size, base
    if unit is None:
        return count, None
    base, size = unit
    return count * (size or 1.0), base


def _price_of(match: re.Match) -> tuple[float, str | None]:
    """(amount per base unit, base unit or None) of one price match."""
    amount = read_number(match.group("amount"))
    written = match.group("unit") or match.group("bare_unit")
    if written is None:
        return amount, None
    base, size = read_unit(written)
    per = read_number(match.group("size")) if match.group("size") else 1.0
    if size is None and match.group("size"):  # "120/3 bags": the bags' size is unknown
        return amount / per, base
    return amount / (per * (size or 1.0)), base
