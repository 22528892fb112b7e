"""Reading a listing from what a member typed: product, quantity, price and place in any order
(`SELL tilapia 50kg 120 Kisumu`), and the answers to a listing's questions."""
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from handlers import places, quantities
from handlers.matching import Match, best, sure
from handlers.products import catalog_names, forms
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
# `within 300km`, and the place it is counted from: `within 300km of Nrb` reads as `in Nrb`.
RADIUS = re.compile(r"(?:\b(?:within|ndani ya|ndani|dans un rayon de|dans|rayon de|rayon|raio de"
                    r"|raio|dentro de|ate|até)\s+)?\b(\d{1,5})\s?kms?\b"
                    r"(?:\s+(?P<around>of|from|around|kutoka|toka|autour de|de|depuis|à partir de"
                    r"|a partir de|da|do)\b)?", re.IGNORECASE)
# A sentence around a listing: greetings, politeness, "I have", "I sell", "I am looking for",
# hedges on a number ("about", "uns"), a buyer's limit ("pas plus de"), in the four languages.
# These words are no product and no place; the amounts among them are read as any others.
CHATTER = {
    # greetings and politeness
    "habari", "habari yako", "habari zenu", "habari za asubuhi", "habari za mchana",
    "habari za jioni", "habari za leo", "hujambo", "hamjambo", "jambo", "mambo", "salaam",
    "salama", "shikamoo", "niaje", "tafadhali", "asante", "ndugu", "wapendwa",
    "bonjour", "bonsoir", "salut", "bjr", "slt", "svp", "s'il vous plait", "merci", "cher",
    "chers", "bom dia", "boa tarde", "boa noite", "ola", "oi", "por favor", "obrigado",
    "obrigada", "hello", "hi", "hey", "good morning", "good afternoon", "good evening",
    "please", "pls", "plz", "thanks", "thank you", "dear", "salam", "salam aleikum",
    "asalaam aleikum", "as salam alaykum",
    # I have, I sell, I buy, I am looking for, I need
    "nina", "nnina", "niko na", "tuko na", "nipo na", "nauza", "ninauza", "tunauza",
    "nauzia", "kuuza", "nataka kuuza", "nataka", "ninataka", "tunataka", "nataka kununua",
    "ninataka kununua", "tunataka kununua", "kununua", "nanunua", "ninanunua", "tunanunua",
    "natafuta", "ninatafuta", "tunatafuta", "nahitaji", "ninahitaji", "tunahitaji",
    "zinapatikana", "inapatikana", "zipo", "ipo", "kuna", "je vends", "je vend", "nous vendons",
    "vends", "je cherche", "nous cherchons", "cherche", "je recherche", "recherche",
    "j'ai", "nous avons", "j'achete", "achete", "nous achetons", "je veux", "je voudrais",
    "je veux acheter", "je veux vendre", "j'ai besoin de", "besoin de",
    "besoin", "disponible", "dispo", "a vendre", "vendo", "vende-se", "vendemos", "vende se",
    "tenho", "temos", "preciso de", "preciso", "precisamos de", "procuro", "procuramos",
    "estou a procura de", "a procura de", "quero", "quero comprar", "queremos", "compro",
    "compramos", "disponivel", "i have", "we have", "i sell", "i am selling", "i'm selling",
    "we sell", "selling", "for sale", "available", "looking for", "i am looking for",
    "i'm looking for", "we are looking for", "im looking for", "i need", "we need", "i want",
    "we want", "i want to buy", "to buy", "buying", "i buy", "we buy", "need", "want",
    "naomba", "ninaomba", "tunaomba", "mzigo", "mzigo wa", "aina ya", "nani ana", "kuna mtu",
    "je propose", "nous proposons", "qui a", "qui vend", "je cherche a acheter", "vendons",
    "tenho para vender", "para venda", "alguem tem", "quem tem", "quem vende", "procura-se",
    "compra-se", "anyone selling", "who has", "who sells", "wanted", "in stock", "urgent",
    "urgently", "urgente", "haraka",
    # when (a listing is open for a week from now)
    "leo", "kesho", "sasa hivi", "today", "tomorrow", "now", "aujourd'hui", "demain",
    "maintenant", "hoje", "amanha", "agora",
    # about, some (the number after it is read as any other)
    "about", "around", "approx", "approximately", "roughly", "karibu", "takriban", "kama",
    "hivi", "takribani", "environ", "a peu pres", "pres de", "quelque", "uns", "umas",
    "cerca de", "aproximadamente", "mais ou menos", "por volta de", "quase", "more or less",
    "like",
    # a buyer's limit (the price after it is read by handlers.quantities)
    "pas plus de", "pas plus que", "au maximum", "maximum de", "no maximo", "ao maximo",
    "nao mais de", "nao mais que", "isiyozidi", "isizidi", "si zaidi ya", "not more than",
    "at most", "up to", "under", "below", "less than", "not above", "chini ya", "moins de",
    "menos de", "abaixo de", "budget", "budget de", "mon budget", "my budget", "orcamento",
    "meu orcamento", "bajeti", "bajeti yangu",
}
CHATTER_PHRASES = {tuple(phrase.split()): phrase for phrase in CHATTER}
# Words that start a product's name in a sentence (`je vends des paniers`, `200 kg de tilapia`).
ARTICLES = {"de", "des", "du", "the", "some", "un", "une", "um", "uma", "da", "do", "dos",
            "das", "les"}
PUNCTUATION = ".,;:!?()\"'"
# What a craft is made of: `en bois`, `em barro` describe the product, they are no place.
MATERIALS = {"bois", "terre", "cuir", "perles", "sisal", "paille", "raphia", "argile", "pierre",
             "coton", "madeira", "barro", "palha", "couro", "mbao", "udongo"}
PRODUCT_FLOOR, PLACE_FLOOR = 85, 80  # fuzzy scores taken when well ahead of the next name

Segment = tuple[list[int], bool]  # a run of word indexes; True when a place marker starts it


@dataclass
class Parsed:
    """What one message says about a listing; `problem` is the first bad part, if any."""

    product: dict | None = None  # {"id": catalog id or None, "name": as typed}
    quantity: dict | None = None  # quantities.Quantity as a dict (kept in the draft)
    price: dict | None = None  # quantities.Price as a dict
    place: dict | None = None  # {"id", "name"}
    form: str | None = None  # dried, smoked, frozen, fresh, salted, fried, grilled
    anywhere: bool = False
    radius: float | None = None
    problem: str | None = None  # "product", "quantity", "unit", "price"
    bad_unit: str | None = None


# --- A whole listing in one message -----------------------------------------------------------

def read_listing(session: Session, cluster: Cluster, kind: str, text: str) -> tuple[dict, Parsed]:
    """The parts of a listing read from one message (a draft: the good parts only)."""
    parsed = parse(session, cluster, text)
    draft = {"kind": kind, "cluster": cluster.id, "anywhere": parsed.anywhere,
             "radius": parsed.radius, "form": parsed.form}
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
    """Reads product, quantity, price and place from a listing typed in any order, in a
    sentence or not (`Habari, nina dagaa kavu kilo 200 ...`)."""
    parsed = Parsed()
    words = quantities.split_words(read_reach(text.replace("\u2019", "'"), parsed))
    words = glue_names(words, product_index(session))
    amounts = read_amounts(words, parsed, cluster.country)
    folded = [fold(word).strip(PUNCTUATION) for word in words]
    free = {i for i, taken in enumerate(amounts.taken) if not taken}
    chatter = set(find_phrases(folded, CHATTER_PHRASES, free))
    formed = find_phrases(folded, forms().words, free - chatter)
    read_names(session, cluster, leftover_segments(words, amounts.taken, chatter), parsed, words,
               amounts.plain, formed)
    return parsed


def glue_names(words: list[str], names: dict[str, int]) -> list[str]:
    """A catalog name with a unit in it (`sisal bags`) glued into one word (`sisal-bags`), so
    that its unit is not read as the listing's."""
    def unit_in_name(run: list[str]) -> bool:
        return fold(" ".join(run)).strip(PUNCTUATION) in names and any(
            quantities.read_unit(word) for word in run)

    glued: list[str] = []
    start = 0
    while start < len(words):
        size = next((size for size in (3, 2) if start + size <= len(words)
                     and unit_in_name(words[start:start + size])), 1)
        glued.append("-".join(words[start:start + size]))
        start += size
    return glued


def find_phrases(folded: list[str], phrases: dict[tuple[str, ...], str],
                 among: set[int]) -> dict[int, str]:
    """word index -> what the phrase it is part of stands for, for the phrases (runs of folded
    words, the longest first) made of words `among`."""
    found: dict[int, str] = {}
    longest = max(map(len, phrases))
    start = 0
    while start < len(folded):
        for size in range(min(longest, len(folded) - start), 0, -1):
            run = range(start, start + size)
            value = phrases.get(tuple(folded[start:start + size]))
            if value is not None and all(i in among for i in run):
                found.update(dict.fromkeys(run, value))
                start += size
                break
        else:
            start += 1
    return found


def read_reach(text: str, parsed: Parsed) -> str:
    """Takes `within 200km` and `ANY` out of the text into the parsed request; `within 300km of
    Nrb` leaves `in Nrb`, the place it is counted from."""
    found = RADIUS.search(text)
    if found:
        radius = int(found.group(1))
        if radius > market.MAX_RADIUS_KM:
            parsed.anywhere = True
        elif radius > 0:
            parsed.radius = float(radius)
        around = " in " if found.group("around") else " "
        text = text[:found.start()] + around + text[found.end():]
    widened = ANYWHERE_WORDS.sub(" ", text)
    parsed.anywhere = parsed.anywhere or widened != text
    return widened


def read_amounts(words: list[str], parsed: Parsed,
                 country: str | None = None) -> quantities.Amounts:
    """Reads the quantity and price among the words into `parsed` (handlers.quantities; the
    cluster's `country` tells what `F` or `/=` stands for)."""
    known = quantity_of(parsed.quantity) if parsed.quantity else None
    amounts = quantities.read_amounts(words, known, country=country)
    if amounts.quantity and not known:
        parsed.quantity = asdict(amounts.quantity)
    if amounts.price:
        parsed.price = asdict(amounts.price)
    parsed.problem = parsed.problem or amounts.problem
    parsed.bad_unit = parsed.bad_unit or amounts.bad_unit
    return amounts


def leftover_segments(words: list[str], used: list[bool],
                      chatter: set[int] = frozenset()) -> list[Segment]:
    """Runs of words that are no quantity, price or sentence around them (`nina`, `je vends`,
    an article before a name): (word indexes, starts with a place marker)."""
    segments: list[Segment] = []
    current: list[int] = []
    marked = False
    for index, word in enumerate(words):
        folded = fold(word).strip(PUNCTUATION)
        if used[index] or index in chatter or folded.replace(".", "").replace(",", "").isdigit() \
                or quantities.says_amount(word):
            if current:
                segments.append((current, marked))
            current, marked = [], False
        elif folded in PLACE_MARKERS and not material(words, index):
            if current:
                segments.append((current, marked))
            current, marked = [], True
        elif current or folded not in ARTICLES or index + 1 == len(words):
            current.append(index)
    if current:
        segments.append((current, marked))
    return segments


def material(words: list[str], index: int) -> bool:
    """`en bois`: the word after the place marker says what the product is made of."""
    return index + 1 < len(words) and fold(words[index + 1]).strip(PUNCTUATION) in MATERIALS


# --- The names among the leftover words -------------------------------------------------------

def read_names(session: Session, cluster: Cluster, segments: list[Segment], parsed: Parsed,
               words: list[str], plain: list[int], formed: dict[int, str] | None = None) -> None:
    """Finds the place, the product and its form among the leftover words; a word nothing took
    right after a bare number is an unknown unit. `formed`: the words that say a form."""
    formed = formed or {}
    taken = read_known_place(session, cluster, segments, words, parsed, set(formed))
    free = untaken(segments, taken)
    product_run = read_product(session, free, words, parsed, set(formed))
    taken |= product_run
    taken |= read_typed_place(free, taken, set(formed), words, parsed)
    read_form(formed, product_run, parsed)
    read_stray_unit(free, taken | set(formed), words, plain, parsed)


def read_known_place(session: Session, cluster: Cluster, segments: list[Segment],
                     words: list[str], parsed: Parsed, formed: set[int] = frozenset()) -> set[int]:
    """A place the gazetteer knows (the latest surest name), else the words after the last place
    marker as typed ("in Dunga"); returns the indexes of the words it took. A form word
    (`fumé`, `kavu`) is no part of a place."""
    found = best_run(segments, words, places.known(session, cluster), PLACE_FLOOR,
                     prefer_late=True, allowed=lambda run: not formed & set(run),
                     rival=product_index(session))
    if found:
        run, match = found
        parsed.place = {"id": match.key, "name": join(words, run)}
        return set(run)
    marked = [without(segment, formed) for segment, is_marked in segments if is_marked]
    if marked and marked[-1]:
        parsed.place = {"id": None, "name": join(words, marked[-1])[:100]}
        return set(marked[-1])
    return set()


def untaken(segments: list[Segment], taken: set[int]) -> list[Segment]:
    """The segments without the words already taken, the emptied ones dropped."""
    left = [([i for i in segment if i not in taken], marked) for segment, marked in segments]
    return [(segment, marked) for segment, marked in left if segment]


def without(segment: list[int], dropped: set[int]) -> list[int]:
    return [i for i in segment if i not in dropped]


def read_product(session: Session, free: list[Segment], words: list[str], parsed: Parsed,
                 formed: set[int] = frozenset()) -> set[int]:
    """A catalog product (the surest name; the rest of its segment describes it), else the first
    words with letters as typed, form words left out; returns the indexes of the words it took
    (for a catalog product, its whole segment; the name itself is `parsed.product["name"]`)."""
    found = best_run(free, words, product_index(session), PRODUCT_FLOOR,
                     allowed=lambda run: not set(run) <= formed)
    if found:
        run, match = found
        parsed.product = {"id": match.key, "name": join(words, run)[:100]}
        parsed.form = forms().names.get(match.name)  # `kethiakh` is smoked sardinella
        return {i for segment, _ in free if set(run) & set(segment) for i in segment} - (
            formed - set(run))
    named = [without(segment, formed) for segment, _ in free]
    lettered = [segment for segment in named if has_letters(join(words, segment))]
    if lettered:
        parsed.product = {"id": None, "name": join(words, lettered[0])[:100]}
        return set(lettered[0])
    if any(named):  # only numbers and signs where the product should be
        parsed.problem = parsed.problem or "product"
        return {i for segment in named for i in segment}
    return set()


def read_form(formed: dict[int, str], product: set[int], parsed: Parsed) -> None:
    """The form the message says (`dagaa kavu`: dried), the first one written outside the
    product's own name (`peixe seco` is the product dried fish, not a form of it)."""
    said = [form for index, form in sorted(formed.items()) if index not in product]
    if said:
        parsed.form = said[0]


def read_typed_place(free: list[Segment], taken: set[int], formed: set[int], words: list[str],
                     parsed: Parsed) -> set[int]:
    """With no place found yet, the last segment nothing took is the place, as typed (its form
    words left out)."""
    rest = [without(segment, formed) for segment, _ in free if not set(segment) & taken]
    rest = [segment for segment in rest if segment]
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
             prefer_late: bool = False, allowed: Callable[[list[int]], bool] | None = None,
             rival: dict[str, int] | None = None) -> tuple[list[int], Match] | None:
    """The run of consecutive words (within one segment) that most surely names a known thing,
    and that name; `allowed` says which runs may. A run that names one of `rival` as surely
    (`mahindi` is maize, not Malindi) names none, unless a place marker is before it."""
    found = []
    for position, (segment, marked) in enumerate(segments):
        for start in range(len(segment)):
            for end in range(start + 1, min(len(segment), start + 4) + 1):
                run = segment[start:end]
                if allowed and not allowed(run):
                    continue
                match = likely(best(join(words, run), names), floor)
                if match and rival and not marked:
                    other = likely(best(join(words, run), rival), PRODUCT_FLOOR)
                    match = None if other and other.score >= match.score else match
                if match:
                    order = position if prefer_late else -position
                    found.append(((match.score, marked, len(run), order, -start), run, match))
    if found:
        _, run, match = max(found, key=lambda f: f[0])
        return run, match
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
    """A catalog product when the name is clearly one, else the name as typed; with its form
    when the answer says one (`dagaa kavu`)."""
    match = likely(best(typed, product_index(session)), PRODUCT_FLOOR)
    if match:
        return {"id": match.key, "name": typed, "form": forms().names.get(match.name)}
    words = typed.split()
    folded = [fold(word).strip(PUNCTUATION) for word in words]
    chatter = set(find_phrases(folded, CHATTER_PHRASES, set(range(len(words)))))
    formed = find_phrases(folded, forms().words, set(range(len(words))) - chatter)
    parsed = Parsed()
    segments = leftover_segments(words, [False] * len(words), chatter)
    product = read_product(session, segments, words, parsed, set(formed))
    read_form(formed, product, parsed)
    if parsed.product is None:  # only form words: the answer as typed
        return {"id": None, "name": typed, "form": None}
    return {**parsed.product, "form": parsed.form}


def place_answer(session: Session, cluster: Cluster, answer: str) -> dict:
    """A known place when the name is clearly one (or starts with one: `Jinja Masese` is at
    Jinja), else the name as typed (`in` dropped)."""
    words = answer.split()
    if len(words) > 1 and fold(words[0]) in PLACE_MARKERS:  # "in Kisumu"
        words = words[1:]
    typed = " ".join(words)
    names = places.known(session, cluster)
    match = likely(best(typed, names), PLACE_FLOOR)
    town = None if match else places.leading(typed, names)
    return {"id": match.key if match else town[0] if town else None, "name": typed[:100]}


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

def listing_form(draft: dict) -> str | None:
    """The form a listing's draft says: with its product's answer, or in the first message."""
    return (draft.get("product") or {}).get("form") or draft.get("form")


def listing_currency(price: dict | None, cluster: Cluster) -> str:
    """The currency written with the price (handlers.quantities reads it), else the cluster's."""
    return (price or {}).get("currency") or cluster.currency


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
