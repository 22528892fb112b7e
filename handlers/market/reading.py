"""Reading a listing from what a member typed: product, quantity, price and place in any order
(`SELL tilapia 50kg 120 Kisumu`), and the answers to a listing's questions."""
import re
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from handlers import places, quantities
from handlers.matching import Match, best, sure
from handlers.products import catalog_names
from locales.i18n import fold
from storage import market
from storage.models import Cluster

PARTS = ("product", "quantity", "price", "place")  # asked in this order when missing

# Words around the parts of a listing. Quantities and prices, and the words that join them
# ("max", "jumla", "kila kimoja"), are read by handlers.quantities; these are the words that say
# where a place starts ("in Kisumu", "huko Kisumu", "à Eldoret") and that a request takes any place.
PLACE_MARKERS = {"in", "at", "from", "huko", "kutoka", "a", "au", "en", "em"}
ANYWHERE = {"any", "anywhere", "any place", "popote", "kokote", "mahali popote", "partout",
            "n'importe où", "n'importe ou", "qualquer lugar", "qualquer sitio", "em qualquer lugar"}
ANYWHERE_WORDS = re.compile(
    r"\b(?:%s)\b" % "|".join(sorted(map(re.escape, ANYWHERE), key=len, reverse=True)),
    re.IGNORECASE)
RADIUS = re.compile(r"(?:\b(?:within|ndani ya|ndani|dans un rayon de|dans|rayon de|rayon|raio de"
                    r"|raio|dentro de|ate|até)\s+)?\b(\d{1,5})\s?km\b", re.IGNORECASE)
PRODUCT_FLOOR, PLACE_FLOOR = 85, 80  # fuzzy scores taken when well ahead of the next name

Segment = tuple[list[int], bool]  # a run of word indexes; True when a place marker starts it


@dataclass
class Parsed:
    """What one message says about a listing; `problem` is the first bad part, if any."""

    product: dict | None = None  # {"id": catalog id or None, "name": as typed}
    quantity: dict | None = None  # quantities.Quantity as a dict (kept in the draft)
    price: dict | None = None  # quantities.Price as a dict
    place: dict | None = None  # {"id", "name"}
    anywhere: bool = False
    radius: float | None = None
    problem: str | None = None  # "product", "quantity", "unit", "price"
    bad_unit: str | None = None


# --- A whole listing in one message -----------------------------------------------------------

def read_listing(session: Session, cluster: Cluster, kind: str, text: str) -> tuple[dict, Parsed]:
    """The parts of a listing read from one message (a draft: the good parts only)."""
    parsed = parse(session, cluster, text)
    draft = {"kind": kind, "cluster": cluster.id, "anywhere": parsed.anywhere,
             "radius": parsed.radius}
    for part in PARTS:
        value = getattr(parsed, part)
        if value is not None and not problem_of(parsed, part):
            draft[part] = value
    if parsed.anywhere and "place" not in draft:
        draft["place"] = {"id": None, "name": ""}
    if all(part in draft for part in ("product", "quantity", "place")) and not parsed.problem:
        draft.setdefault("price", None)  # a whole listing without a price: negotiable
    return draft, parsed


def problem_of(parsed: Parsed, part: str) -> bool:
    return parsed.problem == part or (part == "quantity" and parsed.problem == "unit")


def parse(session: Session, cluster: Cluster, text: str) -> Parsed:
    """Reads product, quantity, price and place from a listing typed in any order."""
    parsed = Parsed()
    words = quantities.split_words(read_reach(text, parsed))
    amounts = read_amounts(words, parsed)
    read_names(session, cluster, leftover_segments(words, amounts.taken), parsed, words,
               amounts.plain)
    return parsed


def read_reach(text: str, parsed: Parsed) -> str:
    """Takes `within 200km` and `ANY` out of the text into the parsed request."""
    found = RADIUS.search(text)
    if found:
        radius = int(found.group(1))
        if radius > market.MAX_RADIUS_KM:
            parsed.anywhere = True
        elif radius > 0:
            parsed.radius = float(radius)
        text = text[:found.start()] + " " + text[found.end():]
    widened = ANYWHERE_WORDS.sub(" ", text)
    parsed.anywhere = parsed.anywhere or widened != text
    return widened


def read_amounts(words: list[str], parsed: Parsed) -> quantities.Amounts:
    """Reads the quantity and price among the words into `parsed` (handlers.quantities)."""
    known = quantity_of(parsed.quantity) if parsed.quantity else None
    amounts = quantities.read_amounts(words, known)
    if amounts.quantity and not known:
        parsed.quantity = asdict(amounts.quantity)
    if amounts.price:
        parsed.price = asdict(amounts.price)
    parsed.problem = parsed.problem or amounts.problem
    parsed.bad_unit = parsed.bad_unit or amounts.bad_unit
    return amounts


def leftover_segments(words: list[str], used: list[bool]) -> list[Segment]:
    """Runs of words that are no quantity or price: (word indexes, starts with a place marker)."""
    segments: list[Segment] = []
    current: list[int] = []
    marked = False
    for index, word in enumerate(words):
        folded = fold(word).strip(".,;:!?")
        if used[index] or folded.replace(".", "").replace(",", "").isdigit() \
                or quantities.says_amount(word):
            if current:
                segments.append((current, marked))
            current, marked = [], False
        elif folded in PLACE_MARKERS:
            if current:
                segments.append((current, marked))
            current, marked = [], True
        else:
            current.append(index)
    if current:
        segments.append((current, marked))
    return segments


# --- The names among the leftover words -------------------------------------------------------

def read_names(session: Session, cluster: Cluster, segments: list[Segment], parsed: Parsed,
               words: list[str], plain: list[int]) -> None:
    """Finds the place and the product among the leftover words; a word nothing took right
    after a bare number is an unknown unit."""
    taken = read_known_place(session, cluster, segments, words, parsed)
    free = untaken(segments, taken)
    taken |= read_product(session, free, words, parsed)
    taken |= read_typed_place(free, taken, words, parsed)
    read_stray_unit(free, taken, words, plain, parsed)


def read_known_place(session: Session, cluster: Cluster, segments: list[Segment],
                     words: list[str], parsed: Parsed) -> set[int]:
    """A place the gazetteer knows (the latest surest name), else the words after the last place
    marker as typed ("in Dunga"); returns the indexes of the words it took."""
    found = best_run(segments, words, places.known(session, cluster), PLACE_FLOOR,
                     prefer_late=True)
    if found:
        run, place_id = found
        parsed.place = {"id": place_id, "name": join(words, run)}
        return set(run)
    marked = [segment for segment, is_marked in segments if is_marked]
    if marked:
        parsed.place = {"id": None, "name": join(words, marked[-1])[:100]}
        return set(marked[-1])
    return set()


def untaken(segments: list[Segment], taken: set[int]) -> list[Segment]:
    """The segments without the words already taken, the emptied ones dropped."""
    left = [([i for i in segment if i not in taken], marked) for segment, marked in segments]
    return [(segment, marked) for segment, marked in left if segment]


def read_product(session: Session, free: list[Segment], words: list[str],
                 parsed: Parsed) -> set[int]:
    """A catalog product (the surest name; the rest of its segment describes it), else the first
    words with letters as typed; returns the indexes of the words it took."""
    found = best_run(free, words, product_index(session), PRODUCT_FLOOR)
    if found:
        run, product_id = found
        parsed.product = {"id": product_id, "name": join(words, run)[:100]}
        return {i for segment, _ in free if set(run) & set(segment) for i in segment}
    lettered = [segment for segment, _ in free if has_letters(join(words, segment))]
    if lettered:
        parsed.product = {"id": None, "name": join(words, lettered[0])[:100]}
        return set(lettered[0])
    if free:  # only numbers and signs where the product should be
        parsed.problem = parsed.problem or "product"
        return {i for segment, _ in free for i in segment}
    return set()


def read_typed_place(free: list[Segment], taken: set[int], words: list[str],
                     parsed: Parsed) -> set[int]:
    """With no place found yet, the last segment nothing took is the place, as typed."""
    rest = [segment for segment, _ in free if not set(segment) & taken]
    if parsed.place is not None or not rest:
        return set()
    parsed.place = {"id": None, "name": join(words, rest[-1])[:100]}
    return set(rest[-1])


def read_stray_unit(free: list[Segment], taken: set[int], words: list[str], plain: list[int],
                    parsed: Parsed) -> None:
    """`5 zorks`: a word nothing took, right after a number without a unit, is an unknown unit."""
    stray = [i for segment, _ in free for i in segment if i not in taken and i - 1 in plain]
    if stray and parsed.quantity and parsed.quantity["unit"] is None:
        parsed.problem = parsed.problem or "unit"
        parsed.bad_unit = parsed.bad_unit or words[stray[0]]


def best_run(segments: list[Segment], words: list[str], names: dict[str, int], floor: float,
             prefer_late: bool = False) -> tuple[list[int], int] | None:
    """The run of consecutive words (within one segment) that most surely names a known thing."""
    found = []
    for position, (segment, marked) in enumerate(segments):
        for start in range(len(segment)):
            for end in range(start + 1, min(len(segment), start + 4) + 1):
                run = segment[start:end]
                match = likely(best(join(words, run), names), floor)
                if match:
                    order = position if prefer_late else -position
                    found.append(((match.score, marked, len(run), order, -start), run, match.key))
    if found:
        _, run, key = max(found, key=lambda f: f[0])
        return run, key
    return None


def join(words: list[str], run: list[int]) -> str:
    return " ".join(words[i] for i in run).strip(".,;:!?")


def has_letters(text: str) -> bool:
    """A name has letters; `120` or `--` is no product or place."""
    return any(c.isalpha() for c in text)


def likely(matches: list[Match], floor: float) -> Match | None:
    """The match to take without asking: a sure one, or one above `floor` well ahead of the next
    (`kisumo` is Kisumu, `maiz` is maize): a listing cannot stop to ask "did you mean"."""
    found = sure(matches)
    if found or not matches or matches[0].score < floor or len(matches[0].name) < 4:
        return found
    ahead = len(matches) == 1 or matches[1].score <= matches[0].score - 5
    return matches[0] if ahead else None


def product_index(session: Session) -> dict[str, int]:
    """handlers.products.catalog_names, kept for the rest of the transaction."""
    if "market_products" not in session.info:
        session.info["market_products"] = catalog_names(session)
    return session.info["market_products"]


# --- Answers to a listing's questions ---------------------------------------------------------

def product_answer(session: Session, typed: str) -> dict:
    """A catalog product when the name is clearly one, else the name as typed."""
    match = likely(best(typed, product_index(session)), PRODUCT_FLOOR)
    return {"id": match.key if match else None, "name": typed}


def place_answer(session: Session, cluster: Cluster, answer: str) -> dict:
    """A known place when the name is clearly one, else the name as typed (`in` dropped)."""
    words = answer.split()
    if len(words) > 1 and fold(words[0]) in PLACE_MARKERS:  # "in Kisumu"
        words = words[1:]
    typed = " ".join(words)
    match = likely(best(typed, places.known(session, cluster)), PLACE_FLOOR)
    return {"id": match.key if match else None, "name": typed[:100]}


def says_anywhere(answer: str) -> bool:
    return fold(answer) in ANYWHERE


def read_answer(text: str, parsed: Parsed) -> tuple[Parsed, list[str]]:
    """Reads the quantities and prices of an answer; also returns the words that are neither."""
    words = quantities.split_words(text)
    amounts = read_amounts(words, parsed)
    leftover = [w for i, w in enumerate(words) if not amounts.taken[i] and i not in amounts.plain
                and not quantities.says_amount(w)]
    return parsed, leftover


# --- Amounts as a draft keeps them ------------------------------------------------------------

def quantity_of(stored: dict) -> quantities.Quantity:
    """The quantity kept in a draft (drafts from before sizes were kept have none)."""
    return quantities.Quantity(stored["amount"], stored["unit"], stored.get("size", 1.0),
                               stored.get("container"))


def listing_price(price: dict | None, quantity: dict, unit: str) -> tuple[float | None, str | None]:
    """(price per unit, that unit), as handlers.quantities reads a price against its quantity; a
    price per another unit (120/kg for crates) keeps its unit and is compared only with prices in
    the same unit."""
    if not price:
        return None, None
    written = quantities.Price(price["amount"], price["unit"], price.get("total", False))
    amount, price_unit = quantities.price_per_unit(written, quantity_of(quantity), unit)
    return round(amount, 4), price_unit
