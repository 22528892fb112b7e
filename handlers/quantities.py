"""Reads prices and quantities as people write them: `120/kg`, `KES 1,480/90kg`, `bei 280`, `3 bags`,
and the quantity and price of a whole message (`UZA sato kilo 100 bei 280 Kisumu`).

Units are brought to a base unit: weights to `kg`, volumes to `l`, counts to `piece`, so
`1,480/90kg` is 16.44 per kg and `500 ml` is 0.5 l. A bag or crate of unknown size stays
`bag` / `crate`; a bag whose size is written (`90kg bag`) is that many kg.

    read_price("1,480/90kg")  -> (16.444..., "kg")
    read_price("bei 280")     -> (280.0, None)      # no unit: the product's own
    read_quantity("2 tonnes") -> (2000.0, "kg")
    find_price("tilapia 120/kg Kisumu") -> Found(120.0, "kg", start=8, end=14)
    read_amounts(split_words("1 tonne maize 40000"))  # 1000 kg at 40 per kg
    whole_number("3")         -> 3                  # a choice, a listing number, a code
"""
import re
from dataclasses import dataclass, field

from locales.i18n import fold

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
    ("piece pieces pièce pièces pc pcs unit units unité unités kipande vipande peça peças "
     "peca pecas unidade unidades pair pairs paire paires jozi pares loaf loaves bar bars barra "
     "barras", ("piece", 1.0)),
    ("bag bags sack sacks gunia magunia sac sacs saco sacos", ("bag", None)),
    ("crate crates kreti makreti caisse caisses caixa caixas", ("crate", None)),
):
    _UNITS.update(dict.fromkeys(_words.split(), _unit))

# Words around a price that say nothing about its value: currencies (before or after it) and
# "price" itself (before it: in "100 bei 20" the price is 20).
_CURRENCY = (r"kes|kshs?|shs?|shillings?|shilingi|tshs?|tzs|ugx|ush|rwf|bif|usd|mzn|mt|xof|"
             r"fcfa|cfa|\$|€")
_PRICE_WORD = r"bei|price|prix|pre[cç]o"
# Words between a price and its unit: "120 per kg", "120 kwa kilo", "120 le kg", "120 por kg".
_PER = r"per|kwa|par|le|la|por|o|a|cada|kila|chaque"
# Words after a price that make it the price of one of whatever the quantity counts: "700 each".
_EACH = r"each|cada|chacun|chacune|chaque|kila\s+(?:kimoja|moja|mmoja)"
_NUMBER = r"\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d{1,13}(?:[.,]\d{1,2})?"
_UNIT = "|".join(sorted((re.escape(w) for w in _UNITS), key=len, reverse=True))
_CONTAINER = "|".join(w for w, (base, _) in _UNITS.items() if base in CONTAINERS)

# A number not glued to letters or other digits (`10^12`, `1e12`, `abc5` are no prices).
_PRICE = re.compile(
    rf"(?<![\w.,^])(?:(?:{_CURRENCY}|{_PRICE_WORD})\.?\s*)?(?P<amount>{_NUMBER})(?:\s*/=)?(?:\s*(?:{_CURRENCY})\b)?"
    rf"(?:(?:\s*[/@]\s*|\s+(?:{_PER})\s+)(?:(?P<size>{_NUMBER})\s*)?(?P<unit>{_UNIT})"
    rf"|\s*(?P<bare_unit>{_UNIT})|\s+(?:{_EACH}))?(?:\s+(?:{_CONTAINER}))?(?![\w^])",
    re.IGNORECASE)
# `3 bags of 90kg`, `2 x 50 kg`, `magunia 2 za kilo 90`, `2 bags 90kg` (no joining word only
# after a container).
_QUANTITY = re.compile(
    rf"^\s*(?P<count>{_NUMBER})\s*(?P<unit>{_UNIT})?"
    rf"(?:\s*(?P<join>x|\*|\bof|\bya|\bza|\bla|\bde|\bda|\bdo)?\s*"
    rf"(?:(?P<size>{_NUMBER})\s*(?P<size_unit>{_UNIT})"
    rf"|(?P<size_unit_first>{_UNIT})\s+(?P<size_after>{_NUMBER}))"
    rf"(?:\s+(?:{_CONTAINER}))?)?\s*$"
    rf"|^\s*(?P<lone>{_UNIT})\s*$",
    re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A quantity in its base unit, and the unit it was written in."""

    amount: float
    unit: str | None  # base unit or container; None when only a number is written
    size: float = 1.0  # base units in one unit as written: 1000 for `2 tonnes`, 90 for `bags of 90kg`
    container: str | None = None  # "bag" in `3 bags of 90kg`


@dataclass(frozen=True)
class Price:
    """A price as written: per a unit, per one of whatever the quantity counts, or for it all."""

    amount: float
    unit: str | None  # base unit or container; None: per one unit of the quantity as written
    total: bool = False  # for the whole quantity: `2400 total`, `jumla 9000`


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


def whole_number(text: str, digits: int = 9) -> int | None:
    """`42` -> 42: 1 to `digits` ASCII digits and nothing else (not `²`, `-1`, ` 4`); else None."""
    # str.isdigit() alone takes `²`, which int() refuses, and int() refuses over 4,300 digits.
    return int(text) if 0 < len(text) <= digits and text.isascii() and text.isdigit() else None


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
    found = _quantity_of(text)
    return (found.amount, found.unit) if found else None


def _quantity_of(text: str) -> "Quantity | None":
    match = _QUANTITY.match(text)
    if match is None:
        return None
    if match.group("lone"):
        base, size = read_unit(match.group("lone"))
        return Quantity(size or 1.0, base, size or 1.0)
    count = read_number(match.group("count"))
    unit = read_unit(match.group("unit")) if match.group("unit") else None
    if match.group("size") or match.group("size_after"):
        base, size = read_unit(match.group("size_unit") or match.group("size_unit_first"))
        container = unit[0] if unit and unit[1] is None else None
        if size is None or not (match.group("join") or container):
            return None
        per = read_number(match.group("size") or match.group("size_after")) * size
        return Quantity(count * per, base, per, container)
    if unit is None:
        return Quantity(count, None)
    base, size = unit
    return Quantity(count * (size or 1.0), base, size or 1.0)


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


# --- The quantity and price of a whole message -------------------------------------------------

MAX_QUANTITY = 1_000_000  # in the base unit: 1,000 tonnes; above is a typo, not a trade
MAX_PRICE = 10_000_000
MAX_WINDOW = 5  # words a quantity or price may take: "KES 1,480 per 90 kg"

# Words that make the plain number after them a price (on a request, its maximum).
LIMIT_WORDS = {"max", "maxi", "maximum", "maximo", "upto", "to", "upeo", "hadi", "mpaka",
               "isizidi", "chini", "jusqu'a", "jusqua", "plus", "ate", "budget", "than", "at",
               "a"}
TOTAL_WORDS = {"total", "jumla", "yote", "tout", "todo", "tudo"}
EACH_WORDS = {"each", "cada", "chacun", "chacune", "chaque", "kila", "kimoja", "moja", "mmoja"}
# Words that only join numbers, units and prices ("up to", "per", "not more than", "no máximo").
FILLERS = {*LIMIT_WORDS - {"a", "at"}, *TOTAL_WORDS, *EACH_WORDS, "up", "not", "more", "no",
           "for", "pour", "por", "kwa", "le", "la", "o", "=", "-", "/-"}
_PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$")
_GLUED_UNIT = re.compile(r"^\d+(?:[.,]\d+)?([^\W\d_]+)$")  # 50zorks


@dataclass
class Amounts:
    """The quantity and price read from the words of a message, and which words they took."""

    quantity: Quantity | None = None
    price: Price | None = None
    taken: list[bool] = field(default_factory=list)  # per word: part of a quantity or price
    plain: list[int] = field(default_factory=list)  # where the plain numbers are
    problem: str | None = None  # the first bad part: "quantity", "unit" or "price"
    bad_unit: str | None = None  # the unknown unit of `50 zorks`


def split_words(text: str) -> list[str]:
    """The words of a message, `@` parted from what is before it (`50kg@250`)."""
    return re.sub(r"(?<=\S)@", " @", text).split()


def read_amounts(words: list[str], quantity: Quantity | None = None) -> Amounts:
    """Reads the quantity and price among `words`, written in any order and language: `50kg`,
    `kilo 100`, `120/kg`, `@120`, `bei 280`, `max 45`, `2400 total`, `700 cada`. Of plain
    numbers the first is the quantity, the next the price (a number after `max`, `hadi`, `at`
    is a price). With `quantity` already known, every number is read as a price."""
    found = Amounts(quantity=quantity, taken=[False] * len(words))
    start = 0
    while start < len(words):
        size = _read_at(words, start, found)
        found.taken[start:start + size] = [True] * size
        start += max(size, 1)
    for index in found.plain:
        _read_plain(words, index, found)
    return found


def says_amount(word: str) -> bool:
    """A word that only joins numbers, units and prices: `max`, `kwa`, `KES`, `bei`, `jumla`."""
    return fold(word).strip(".,;:!?") in FILLERS or _price_word(word)


def price_per_unit(price: Price, quantity: Quantity, unit: str) -> tuple[float, str]:
    """(price of one `unit`, or of one of the price's own unit when it is another, that unit).
    `unit` is the listing's: the quantity's unit, or the product's when only a number is
    written. A total is shared over the quantity; a price with no unit is for one unit as
    written (`1 tonne 40000` is 40 per kg), but with grams or millilitres it is for all of it
    (`500g 400`: nobody prices per gram); `4000 per bag` of `bags of 90kg` is per 90 kg."""
    if price.total or (price.unit is None and quantity.size < 1):
        return price.amount / quantity.amount, unit
    if price.unit is None or price.unit == quantity.container:
        return price.amount / quantity.size, unit
    return price.amount, price.unit


def _read_at(words: list[str], start: int, found: Amounts) -> int:
    """Reads the longest quantity or price starting at `start`; returns how many words it took."""
    word = words[start]
    if found.quantity is None and _unit_first(words, start):  # "kilo 100", "gunia 2 ya 90kg"
        swapped = [words[start + 1], word, *words[start + 2:start + MAX_WINDOW]]
        for size in range(len(swapped), 1, -1):
            quantity = _quantity_of(" ".join(swapped[:size]))
            if quantity:
                _set_quantity(found, quantity)
                return size
    # "@120", "hadi 45 kilo 500": after `@` or a limit word comes a price, not a quantity
    at = word.startswith("@") and len(word) > 1
    limited = at or (start > 0 and fold(words[start - 1]) in LIMIT_WORDS)
    lettered = not any(c.isdigit() for c in word)
    if lettered and not _price_word(word):
        if "/" in word or at:  # shaped like a price, with no number: abc/kg
            _problem(found, "price")
        return 0
    for size in range(min(MAX_WINDOW, len(words) - start), 0, -1):
        window = " ".join([word[1:] if at else word] + words[start + 1:start + size])
        if not any(c.isdigit() for c in window):
            continue
        if size == 1 and _PLAIN.match(window) and not at:
            found.plain.append(start)
            return 1
        quantity = _quantity_of(window) if found.quantity is None and not limited else None
        if quantity is not None:
            _set_quantity(found, quantity)
            return size
        price = read_price(window) if found.price is None else None
        if price is not None:
            _set_price(found, Price(*price, _near(words, start, start + size, TOTAL_WORDS)))
            return size
    if lettered:  # a price word with no price after it: `bei abc`, not `bei isizidi 240`
        if not _leads_to_number(words, start):
            _problem(found, "price")
        return 1
    glued = _GLUED_UNIT.match(word)  # digits nobody could read: 50zorks, 10^12, 12abc/kg
    if glued and not (found.quantity and found.price):
        _problem(found, "unit")
        found.bad_unit = found.bad_unit or glued.group(1)
    else:
        _problem(found, "quantity" if found.quantity is None else "price")
    return 1


def _read_plain(words: list[str], index: int, found: Amounts) -> None:
    """A plain number: the quantity when none is read yet, else the price."""
    amount = read_number(words[index])
    if amount is None:  # more digits than any price or quantity has
        return _problem(found, "quantity" if found.quantity is None else "price")
    total = _near(words, index, index + 1, TOTAL_WORDS)
    limited = index > 0 and fold(words[index - 1]) in LIMIT_WORDS
    if found.quantity is None and not total and not limited:
        _set_quantity(found, Quantity(amount, None))
    elif found.price is None:
        _set_price(found, Price(amount, None, total))


def _unit_first(words: list[str], start: int) -> bool:
    """`kilo 100`: a unit, then a number with no unit of its own (`green grams 80 kg` is not)."""
    return (start + 1 < len(words) and read_unit(words[start]) is not None
            and _PLAIN.match(words[start + 1]) is not None
            and (start + 2 >= len(words) or read_unit(words[start + 2]) is None))


def _price_word(word: str) -> bool:
    """A word that says a price follows or precedes (`bei`, `KES`)."""
    return read_price(f"{word} 1") == (1.0, None) or read_price(f"1 {word}") == (1.0, None)


def _leads_to_number(words: list[str], start: int) -> bool:
    """`bei isizidi 240`: words that join amounts, then a number."""
    for word in words[start + 1:]:
        if any(c.isdigit() for c in word):
            return True
        if not says_amount(word):
            return False
    return False


def _near(words: list[str], start: int, end: int, vocabulary: set[str]) -> bool:
    """One of `vocabulary` is within two words of words[start:end]: `2400 total`, `jumla 9000`."""
    around = words[max(0, start - 2):start] + words[end:end + 2]
    return any(fold(w) in vocabulary for w in around)


def _set_quantity(found: Amounts, quantity: Quantity) -> None:
    found.quantity = quantity
    if not 0 < quantity.amount <= MAX_QUANTITY:
        _problem(found, "quantity")


def _set_price(found: Amounts, price: Price) -> None:
    found.price = price
    if not 0 < price.amount <= MAX_PRICE:
        _problem(found, "price")


def _problem(found: Amounts, part: str) -> None:
    found.problem = found.problem or part
