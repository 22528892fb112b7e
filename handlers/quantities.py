"""Reads prices and quantities as people write them: `120/kg`, `KES 1,480/90kg`, `bei 280`, `3 bags`,
and the quantity and price of a whole message (`UZA sato kilo 100 bei 280 Kisumu`).

Units are brought to a base unit: weights to `kg`, volumes to `l`, counts to `piece`, so
`1,480/90kg` is 16.44 per kg, `500 ml` is 0.5 l, `2 dozen` 24 pieces and a tray (of eggs) 30.
A bag, crate, debe, basin, bucket, bunch or carton of unknown size stays one (`bag`, `crate`,
...); one whose size is written (`90kg bag`, `sac de 50 kg`, `debe la kilo 18`) is that many kg.

Money is read as it is written, before or after the number, glued or not (`ksh200`, `200/=`,
`200 bob`, `2.800 F`, `1 500 FCFA`, `150 MT`): each mark means a currency in the cluster's
country (locales/currencies.toml), which a price keeps (`Price.currency`, None when no currency
is written: the cluster's own). Give `country=` to the readers so shared marks resolve.

    read_price("1,480/90kg")  -> (16.444..., "kg")
    read_price("bei 280")     -> (280.0, None)      # no unit: the product's own
    find_price("2.800 F le kg", country="SN")  -> Found(2800.0, "kg", 0, 13, currency="XOF")
    read_quantity("2 tonnes") -> (2000.0, "kg")
    find_price("tilapia 120/kg Kisumu") -> Found(120.0, "kg", start=8, end=14)
    read_amounts(split_words("1 tonne maize 40000"))  # 1000 kg at 40 per kg
    whole_number("3")         -> 3                  # a choice, a listing number, a code
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache

from locales import currencies
from locales.i18n import fold
from locales.locality import currency_of

BASE_UNITS = ("kg", "l", "piece")
CONTAINERS = ("bag", "crate", "debe", "basin", "bucket", "bunch", "carton")

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
    # Egg trays hold 30 eggs; trays are what eggs are traded in (`trei`, `plateau`, `bandeja`).
    ("tray trays trei matrei plateau plateaux bandeja bandejas", ("piece", 30.0)),
    ("dozen dozens doz douzaine douzaines dúzia dúzias duzia duzias dazeni dozeni",
     ("piece", 12.0)),
    ("bag bags sack sacks gunia magunia sac sacs saco sacos saca sacas", ("bag", None)),
    ("crate crates kreti makreti caisse caisses caixa caixas cageot cageots", ("crate", None)),
    # A debe (a 20-litre tin) holds about 16-18 kg of grain, but it is sold as a debe: it stays
    # one until its size is written (`debe la kilo 18`).
    ("debe debes madebe", ("debe", None)),
    # Livestock by the head (not `head` alone: WFP's `Head` of cabbage has no weight to keep).
    ("tête têtes vichwa cabeça cabeças", ("piece", 1.0)),
    ("bunch bunches mkungu mikungu régime régimes cacho cachos", ("bunch", None)),  # matooke
    ("carton cartons", ("carton", None)),
    ("basin basins beseni mabeseni karai bassine bassines bacia bacias", ("basin", None)),
    ("bucket buckets ndoo seau seaux balde baldes", ("bucket", None)),
):
    _UNITS.update(dict.fromkeys(_words.split(), _unit))

# Units that are also places: right after a price they are the place (`2.000 F Plateau` is in
# Dakar's or Abidjan's Plateau), after `le`/`par`/a count the unit (`2.000 F le plateau`).
_PLACE_NAMES = {"plateau"}
# Metric tonnes written `MT` outside Mozambique (where `MT` is the metical, locales/currencies).
_TONNES = ("mt", ("kg", 1000.0))
# "price" itself, before a price (in "100 bei 20" the price is 20); a colon may follow it.
_PRICE_WORD = r"bei|price|prix|pre[cç]o"
# Words between a price and its unit: "120 per kg", "120 kwa kilo", "120 le kg", "120 por kg".
_PER = r"per|kwa|par|le|la|por|o|a|cada|kila|chaque"
# Words after a price that make it the price of one of whatever the quantity counts: "700 each".
_EACH = r"each|cada|chacun|chacune|chaque|kila\s+(?:kimoja|moja|mmoja)"
# Thousands and decimals. A mark followed by exactly three digits groups thousands (`1,500`,
# `1.500`, `2.800 F`, `1 500` and `1\u202f500` with a narrow no-break space), any other is the
# decimal mark (`1,5` and `1.5`, `12,50`); with two marks the last is the decimal one
# (`1.480,50`, `1,480.50`). This is the same in every language on purpose: members write with
# the marks of another language as often as with their own (a Kenyan `1,500` in a Swahili
# message, a Mozambican `1.500` then `1,5`), and nobody writes three decimals of a price or a
# weight: the digits decide, not the language. Where three digits would still read absurdly
# as thousands (`0,500 kg` is half a kilo, never zero thousand five hundred) they are decimals.
# The currency changes nothing here: francs CFA, Ugandan and Tanzanian shillings have no
# decimals in practice, and a three-digit group is thousands in every currency, so `2.800 F`
# is 2800 wherever it is written. What the cluster's country and the currency do settle:
# whether a plain space groups thousands (group_thousands) and whether a price after tonnes
# is per tonne or per kilo (_per_kg_when_per_tonne_is_absurd).
_GROUP = "\u202f"  # what a thousands space becomes once read as one (split_words)
_NUMBER = (rf"\d{{1,3}}(?:[,.{_GROUP}\u00a0]\d{{3}})+(?:[.,]\d{{1,2}})?"
           r"|\d{1,13}(?:[.,]\d{1,2})?")
# After a price, thousands of it as said aloud: `2 mil MT`, `15 mille F`, `2k`.
_THOUSAND = r"\s*(?:mil|mille)\b|k\b"
# Currencies of the countries that write thousands with a space (French and Portuguese ones):
# `1 500 F`, `2 500 MT`. East African shillings are not: in `sato 50 260/=` the 50 is kilos.
_SPACED_THOUSANDS = {"XOF", "XAF", "MZN", "EUR", "RWF", "BIF", "CDF", "GNF", "KMF", "DJF"}
# Words before a quantity that say it is about that much: `uns 200 kg`, `karibu kilo 200`.
APPROXIMATELY = {("about",), ("around",), ("approx",), ("approx.",), ("approximately",),
                 ("roughly",), ("some",), ("karibu",), ("takriban",), ("kama",), ("environ",),
                 ("env.",), ("env",), ("a", "peu", "pres"), ("plus", "ou", "moins"), ("uns",),
                 ("umas",), ("cerca", "de"), ("aproximadamente",), ("mais", "ou", "menos"),
                 ("~",), ("+/-",), ("+-",)}


@dataclass(frozen=True)
class _Grammar:
    """The patterns that read amounts in one country: its money marks and units."""

    units: dict[str, tuple[str, float | None]]
    money: str  # any mark of money, before a number
    price: re.Pattern
    quantity: re.Pattern
    spaced_mark_after: re.Pattern  # `1 500 F`: a mark of a currency with spaced thousands
    unit_after: re.Pattern  # `1 500 kg`


def _alternatives(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _mark_pattern(mark: str) -> str:
    """A money mark as a pattern: `f cfa` also as `F.CFA`, `FCFA`; a mark ending in a letter
    is not the start of a word (`2 F` is francs, `2 fresh` is not)."""
    pattern = r"[\s.]*".join(map(re.escape, mark.split()))
    return pattern + (r"(?![^\W\d_])" if mark[-1].isalnum() else "")


@lru_cache
def _grammar(country: str | None) -> _Grammar:
    marks = currencies.marks(country)
    units = dict(_UNITS)
    if country is not None and currencies.is_tonnes(_TONNES[0], country):
        units[_TONNES[0]] = _TONNES[1]
    money = _alternatives(map(_mark_pattern, marks))
    unit = _alternatives(re.escape(w) for w in units)
    bare_unit = _alternatives(re.escape(w) for w in units if w not in _PLACE_NAMES)
    container = "|".join(w for w, (base, _) in units.items() if base in CONTAINERS)

    def size(name: str) -> str:  # `50kg`, `kilo 50`; a named group per use
        return (rf"(?:(?P<{name}size>{_NUMBER})\s*(?P<{name}size_unit>{unit})"
                rf"|(?P<{name}size_unit_first>{unit})\s+(?P<{name}size_after>{_NUMBER}))")

    def join(name: str) -> str:  # `of`, `ya`, `de`, `x` between a count or container and a size
        return rf"(?P<{name}join>x|\*|\bof|\bya|\bza|\bla|\bde|\bda|\bdo)"

    # A number not glued to letters or other digits (`10^12`, `1e12`, `abc5` are no prices).
    price = re.compile(
        rf"(?<![\w.,^])(?:(?:{_PRICE_WORD})[.:]?\s*)?(?:(?P<before>{money})\.?\s*)?"
        rf"(?P<amount>{_NUMBER})(?P<thousands>{_THOUSAND})?(?:\s*(?P<after>{money}))?"
        rf"(?:(?:\s*[/@]\s*|\s+(?:{_PER})\s+)(?:(?P<size>{_NUMBER})\s*)?(?P<unit>{unit})"
        rf"(?:\s*{join('of_')}\s*{size('of_')})?"  # `le sac de 50 kg`, `kwa gunia la kilo 90`
        rf"|\s*(?P<bare_unit>{bare_unit})|\s+(?:{_EACH}))?(?:\s+(?:{container}))?(?![\w^])",
        re.IGNORECASE)
    # `3 bags of 90kg`, `2 x 50 kg`, `magunia 2 za kilo 90`, `2 bags 90kg` (no joining word only
    # after a container); a container with its size and no count is one (`sac de 50 kg`).
    quantity = re.compile(
        rf"^\s*(?P<count>{_NUMBER})\s*(?P<unit>{unit})?"
        rf"(?:\s*{join('')}?\s*{size('')}(?:\s+(?:{container}))?)?\s*$"
        rf"|^\s*(?P<lone>{unit})\s*$"
        rf"|^\s*(?P<one>{container})\s*{join('one_')}?\s*{size('one_')}\s*$",
        re.IGNORECASE)
    spaced = [_mark_pattern(m) for m in marks
              if set(currencies.meanings(m)) <= _SPACED_THOUSANDS]
    spaced_mark_after = re.compile(rf"\s*(?:{_alternatives(spaced)})", re.IGNORECASE)
    unit_after = re.compile(rf"\s*(?:{unit})(?![^\W\d_])", re.IGNORECASE)
    return _Grammar(units, money, price, quantity, spaced_mark_after, unit_after)


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
    currency: str | None = None  # ISO 4217 code written with it (`2.800 F`: XOF); None: none


@dataclass(frozen=True)
class Found:
    """A price found inside a longer text: per base unit (or None), and where it was."""

    amount: float
    unit: str | None
    start: int
    end: int
    currency: str | None = None  # as Price.currency


def read_number(text: str) -> float | None:
    """`1,480` -> 1480, `12.5` and `12,5` -> 12.5, `1.480,50` -> 1480.5, `1 500` (a no-break
    space) -> 1500, `0,500` -> 0.5; None if not a number. How the marks are read: _NUMBER."""
    text = text.strip().replace(_GROUP, "").replace("\u00a0", "")
    if not re.fullmatch(_NUMBER, text):
        return None
    marks = [c for c in text if c in ",."]
    if not marks:
        return float(text)
    last = max(text.rfind(","), text.rfind("."))
    whole, decimals = text[:last], text[last + 1:]
    # Three digits after the last mark group thousands (1,480; 12.500; 1,480,000), but not after
    # a lone 0: `0.500` is half of one.
    if len(decimals) == 3 and not (len(marks) == 1 and int(whole) == 0):
        return float(text.replace(",", "").replace(".", ""))
    return float(f"{whole.replace(',', '').replace('.', '')}.{decimals}")


def whole_number(text: str, digits: int = 9) -> int | None:
    """`42` -> 42: 1 to `digits` ASCII digits and nothing else (not `²`, `-1`, ` 4`); else None."""
    # str.isdigit() alone takes `²`, which int() refuses, and int() refuses over 4,300 digits.
    return int(text) if 0 < len(text) <= digits and text.isascii() and text.isdigit() else None


def read_unit(word: str, country: str | None = None) -> tuple[str, float | None] | None:
    """(base unit, size in it) of a written unit: `ml` -> ("l", 0.001), `gunia` -> ("bag", None),
    `dozen` -> ("piece", 12); `MT` is tonnes in a `country` where it is no currency."""
    return _grammar(country).units.get(word.strip().casefold())


def find_price(text: str, *, country: str | None = None) -> Found | None:
    """The price in `text`: the first written per unit (`120/kg`), else with a unit, else a number.
    Its currency is the one its mark means in `country` (`F`: XOF in SN, XAF in CM)."""
    grammar = _grammar(country)
    candidates = []
    for match in grammar.price.finditer(group_thousands(text, country)):
        amount, unit = _price_of(match, country)
        # "120/kg" names its unit on purpose; in "50kg 120/kg" the bare "50kg" is a quantity.
        rank = 0 if match.group("unit") else 1 if unit else 2
        found = Found(amount, unit, match.start(), match.end(), _currency_of(match, country))
        candidates.append((rank, len(candidates), found))
    return min(candidates)[2] if candidates else None


def read_price(text: str, *, country: str | None = None) -> tuple[float, str | None] | None:
    """(amount per base unit, base unit or None when none is written) when `text` is one price
    and nothing else (currency words aside); None otherwise."""
    found = _whole_price(text, country)
    return (found.amount, found.unit) if found else None


def read_quantity(text: str, *, country: str | None = None) -> tuple[float, str | None] | None:
    """(amount in the base unit, base unit or None when none is written) of `50kg`, `2 tonnes`,
    `500 ml`, `3 bags` (a container unit), `3 bags of 90kg` (270 kg), `sac de 50 kg` (50 kg),
    `2 dozen` (24 pieces), `Unit` (1 piece); None when `text` is not one quantity."""
    found = _quantity_of(text, country)
    return (found.amount, found.unit) if found else None


def _whole_price(text: str, country: str | None) -> Found | None:
    """The price `text` is, when it is one price and nothing else (currency words aside)."""
    found = find_price(text, country=country)
    if found is None or text[:found.start].strip() or text[found.end:].strip(" .!"):
        return None
    return found


def _quantity_of(text: str, country: str | None = None) -> "Quantity | None":
    match = _grammar(country).quantity.match(group_thousands(text, country))
    if match is None:
        return None
    if match.group("lone"):  # WFP's units: `KG`, `L`, `Unit`; `Bag` or `Bunch` alone says no amount
        base, size = read_unit(match.group("lone"), country)
        return Quantity(size, base, size) if size else None
    if match.group("one"):  # `sac de 50 kg`: one container of that size
        count, unit, prefix = 1.0, read_unit(match.group("one"), country), "one_"
    else:
        count, prefix = read_number(match.group("count")), ""
        unit = read_unit(match.group("unit"), country) if match.group("unit") else None
    if match.group(prefix + "size") or match.group(prefix + "size_after"):
        written = match.group(prefix + "size_unit") or match.group(prefix + "size_unit_first")
        base, size = read_unit(written, country)
        container = unit[0] if unit and unit[1] is None else None
        if size is None or not (match.group(prefix + "join") or container):
            return None
        per = read_number(match.group(prefix + "size") or match.group(prefix + "size_after"))
        return Quantity(count * per * size, base, per * size, container)
    if unit is None:
        return Quantity(count, None)
    base, size = unit
    return Quantity(count * (size or 1.0), base, size or 1.0)


def _price_of(match: re.Match, country: str | None) -> tuple[float, str | None]:
    """(amount per base unit, base unit or None) of one price match."""
    amount = read_number(match.group("amount")) * (1000 if match.group("thousands") else 1)
    written = match.group("unit") or match.group("bare_unit")
    if written is None:
        return amount, None
    base, size = read_unit(written, country)
    per = read_number(match.group("size")) if match.group("size") else 1.0
    contents = match.group("of_size") or match.group("of_size_after")
    if size is None and contents:  # "25.000 F le sac de 50kg": per 50 kg
        base, size = read_unit(match.group("of_size_unit") or match.group("of_size_unit_first"),
                               country)
        size *= read_number(contents)
    if size is None and match.group("size"):  # "120/3 bags": the bags' size is unknown
        return amount / per, base
    return amount / (per * (size or 1.0)), base


def _currency_of(match: re.Match, country: str | None) -> str | None:
    """The currency of a price match: its mark's in `country`; a mark that names one currency
    wins over a shared one (`Ksh 200/=` is KES anywhere)."""
    marks = [match.group(side) for side in ("before", "after") if match.group(side)]
    marks.sort(key=lambda mark: len(currencies.meanings(mark)) != 1)
    codes = [currencies.currency_written(mark, country) for mark in marks]
    return next((code for code in codes if code), None)


def group_thousands(text: str, country: str | None = None) -> str:
    """`text` with the spaces that group thousands made one narrow no-break space, the same
    length (`prix 1 500 F` -> `prix 1\u202f500 F`), and other no-break spaces plain ones.

    A no-break space between digit groups is always a thousands mark (phones put it there). A
    plain space is one only where money says so, since `sato 50 260` is 50 kg at 260 and
    `bei 250 100kg` is 100 kg at 250, as East African traders write them:
    - before the mark of a currency written with spaced thousands: `1 500 F`, `2 500 MT`;
    - after a price word, a money mark or a limit, when no unit follows: `bei 1 500`,
      `FCFA 1 500`, `max 2 500` (but `max 45 500kg` is 500 kg at 45 at most);
    - in the countries that write thousands with spaces (French and Portuguese ones: their
      currency is one of _SPACED_THOUSANDS), also before a unit and after `environ`, `uns`:
      `1 500 kg` is 1500 kg in Senegal or Mozambique."""
    grammar = _grammar(country)
    spacing = country is not None and currency_of(country) in _SPACED_THOUSANDS

    def grouped(match: re.Match) -> str:
        number = match.group()
        if " " in number:
            before = text[:match.start()].split()
            last = before[-1] if before else ""
            after = text[match.end():]
            unit = grammar.unit_after.match(after)
            spaced = grammar.spaced_mark_after.match(after) \
                or (not unit and _says_money(last, country)) \
                or (spacing and (unit or _says_money(last, country)
                                 or (fold(last),) in APPROXIMATELY))
            if not spaced:
                return number
        return re.sub(r"[ \u00a0\u202f]", _GROUP, number)

    # The no-break spaces left are no thousands marks: plain spaces for the readers after.
    return _LONE_SPACE.sub(" ", _THOUSANDS.sub(grouped, text))


def _says_money(word: str, country: str | None) -> bool:
    """A word after which a number is money: `bei`, `prix:`, `FCFA`, `Ksh.`, `max`, `hadi`."""
    folded = fold(word).strip(".:")
    return folded in LIMIT_WORDS or bool(re.fullmatch(
        rf"(?:{_PRICE_WORD}|{_grammar(country).money})", folded, re.IGNORECASE))


# A number grouped in thousands by spaces: `1 500`, `12 500 000` (not part of `0722 000 001`).
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)")
_LONE_SPACE = re.compile(r"\u00a0|(?<!\d)\u202f|\u202f(?!\d{3}(?!\d))")


# --- The quantity and price of a whole message -------------------------------------------------

MAX_QUANTITY = 1_000_000  # in the base unit: 1,000 tonnes; above is a typo, not a trade
MAX_PRICE = 10_000_000
MAX_WINDOW = 5  # words a quantity or price may take: "KES 1,480 per 90 kg"

# Words that make the plain number after them a price (on a request, its maximum).
LIMIT_WORDS = {"max", "maxi", "maximum", "maximo", "upto", "to", "upeo", "hadi", "mpaka",
               "isizidi", "chini", "jusqu'a", "jusqua", "plus", "ate", "budget", "than", "at",
               "a"}
LIMITS_BEFORE_DE = {"plus", "maximo", "budget"}  # `pas plus de`, `no máximo de`, `budget de`
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


def split_words(text: str, country: str | None = None) -> list[str]:
    """The words of a message, `@` parted from what is before it (`50kg@250`), a number grouped
    in thousands by spaces one word (`prix 1 500 F`: group_thousands)."""
    text = re.sub(r"(?<=\S)@", " @", group_thousands(text, country))
    return [word for word in re.split(rf"[^\S{_GROUP}]+", text) if word]


def read_amounts(words: list[str], quantity: Quantity | None = None, *,
                 country: str | None = None) -> Amounts:
    """Reads the quantity and price among `words`, written in any order and language: `50kg`,
    `kilo 100`, `120/kg`, `@120`, `bei 280`, `max 45`, `2400 total`, `700 cada`, `2.800 F`,
    `uns 200 kg`, `sac de 50 kg`. Of plain numbers the first is the quantity, the next the price
    (a number after `max`, `hadi`, `at` is a price). With `quantity` already known, every number
    is read as a price. The price keeps the currency written with it, as it means in `country`
    (the cluster's): `Price.currency`."""
    found = Amounts(quantity=quantity, taken=[False] * len(words))
    start = 0
    while start < len(words):
        size = _read_at(words, start, found, country)
        found.taken[start:start + size] = [True] * size
        start += max(size, 1)
    for index in found.plain:
        _read_plain(words, index, found)
    _per_kg_when_per_tonne_is_absurd(found, country)
    return found


def _per_kg_when_per_tonne_is_absurd(found: Amounts, country: str | None) -> None:
    """A price with no unit is per the unit the quantity is written in (`1 tonne maize 40000`:
    40 a kg), but not when that is less than any kilo costs in its currency: `1 tonne pas plus
    de 400 F` is 400 F a kilo, not 0.4. Without a country the cluster's currency is unknown."""
    price, quantity = found.price, found.quantity
    if (price is None or quantity is None or price.unit is not None or price.total
            or quantity.unit != "kg" or quantity.size < 1000 or country is None):
        return
    least = currencies.least_per_kg(price.currency or currency_of(country))
    if least is not None and price.amount / quantity.size < least:
        found.price = Price(price.amount, "kg", price.total, price.currency)


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


def _read_at(words: list[str], start: int, found: Amounts, country: str | None) -> int:
    """Reads the longest quantity or price starting at `start`; returns how many words it took."""
    word = words[start]
    about = _approximately(words, start, country)
    if about:  # `uns 200 kg`, `karibu kilo 200`: the words go with the quantity
        return about
    if found.quantity is None and _unit_first(words, start, country):  # "kilo 100", "gunia 2"
        swapped = [words[start + 1], word, *words[start + 2:start + MAX_WINDOW]]
        for size in range(len(swapped), 1, -1):
            quantity = _quantity_of(" ".join(swapped[:size]), country)
            if quantity:
                _set_quantity(found, quantity)
                return size
    unit = read_unit(word, country)
    if found.quantity is None and unit and unit[0] in CONTAINERS:  # `sac de 50 kg`
        for size in range(min(MAX_WINDOW, len(words) - start), 1, -1):
            quantity = _quantity_of(" ".join(words[start:start + size]), country)
            if quantity:
                _set_quantity(found, quantity)
                return size
    # "@120", "hadi 45 kilo 500": after `@` or a limit word comes a price, not a quantity
    at = word.startswith("@") and len(word) > 1
    limited = at or _after_limit(words, start)
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
        quantity = (_quantity_of(window, country) if found.quantity is None and not limited
                    else None)
        if quantity is not None:
            _set_quantity(found, quantity)
            return size
        price = _whole_price(window, country) if found.price is None else None
        if price is not None:
            total = _near(words, start, start + size, TOTAL_WORDS)
            _set_price(found, Price(price.amount, price.unit, total, price.currency))
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
    limited = _after_limit(words, index)
    if found.quantity is None and not total and not limited:
        _set_quantity(found, Quantity(amount, None))
    elif found.price is None:
        _set_price(found, Price(amount, None, total))


def _after_limit(words: list[str], index: int) -> bool:
    """The word before `index` is a limit (`max 45`), or `de`/`of` after one (`pas plus de 45`,
    `no máximo de 150`, `budget de 300`)."""
    before = [fold(w) for w in words[max(0, index - 2):index]]
    if before and before[-1] in LIMIT_WORDS:
        return True
    return len(before) == 2 and before[1] in ("de", "of") and before[0] in LIMITS_BEFORE_DE


def _unit_first(words: list[str], start: int, country: str | None = None) -> bool:
    """`kilo 100`: a unit, then a number with no unit of its own (`green grams 80 kg` is not)."""
    return (start + 1 < len(words) and read_unit(words[start], country) is not None
            and _PLAIN.match(words[start + 1]) is not None
            and (start + 2 >= len(words) or read_unit(words[start + 2], country) is None))


def _approximately(words: list[str], start: int, country: str | None) -> int:
    """How many words at `start` say `about` before a quantity (`cerca de 200 kg`, `karibu kilo
    200`: a number or a unit and its number follows); 0 when they do not."""
    for phrase in APPROXIMATELY:
        end = start + len(phrase)
        if tuple(fold(w) for w in words[start:end]) != phrase or end >= len(words):
            continue
        if any(c.isdigit() for c in words[end]) or _unit_first(words, end, country):
            return len(phrase)
    return 0


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
