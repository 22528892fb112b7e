"""Marketplace: SELL and BUY listings matched on product, price and place within shared clusters;
introductions when both sides answer YES; OFFERS, CLOSE, RENEW; expiry and deal follow-ups."""
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from handlers import coordinators, places, quantities
from handlers.budget import SMS, fits_budget
from handlers.labels import PER_UNIT, product_label, shorten, unit_label
from handlers.matching import Match, best, sure
from handlers.notify import notify
from handlers.products import catalog_names
from handlers.turn import Choice, Invitation, Turn
from locales.i18n import N_, Plural, fold, keyword_word, number, translate
from storage import clusters, jobs, market
from storage import products as catalog
from storage.market import Candidate, Listing, MarketMatch
from storage.models import Cluster, Member, Place

FLOW = "market"
LISTING_DAYS = 7
REMIND_BEFORE = timedelta(days=1)
FOLLOW_UP_AFTER = timedelta(days=3)
TRADE_PERIOD = timedelta(days=30)
ANSWER_WITHIN = timedelta(days=14)
DEFAULT_RADIUS_KM = market.DEFAULT_RADIUS_KM
SHOWN_MATCHES = 3
MAX_BULK = 4
DISTANCE_BAND_KM = 5  # places this close count as equally near, so price decides between them
SHOWN_LISTINGS = 6
PARTS = ("product", "quantity", "price", "place")  # asked in this order when missing
SHORT_PLACE = 16
SHORT_NAME = 24

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

CHOOSE_NEGOTIABLE = N_("Negotiable")
CHOOSE_ANYWHERE = N_("Anywhere")
# A quantity of a unit one counts (`30 pcs`, `vipande 30`), and the unit after a price
# (`KES 50/piece`, `KES 50/kipande`); kg and l are written as they are.
COUNTED = {"piece": Plural("{count} pc", "{count} pcs"),
           "bag": Plural("{count} bag", "{count} bags"),
           "crate": Plural("{count} crate", "{count} crates")}
NEGOTIABLE = N_("price negotiable")
GROUP_FOUND = N_("No single offer has it all; these {count} together have {together}{cost}:\n"
                 "{matches}\nReply {yes} and a code for each.")
GROUP_COMPLETED = N_("A new offer completes your request #{number}: these {count} together have "
                     "{together}{cost}:\n{matches}\nReply {yes} and a code for each.")
AT_MOST = N_("max {amount}")
FRAGMENTS = {CHOOSE_NEGOTIABLE, CHOOSE_ANYWHERE, *COUNTED.values(), *PER_UNIT.values(),
             NEGOTIABLE}
HINTS = {  # why a part of a listing is asked again
    "product": N_("Please write the product name in letters, e.g. tilapia."),
    "quantity": N_("Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    "unit": N_("I do not know the unit \"{typed}\". Use kg, g, t, l, ml, pcs, crates or bags."),
    "price": N_("Please send the price as a number, e.g. 120 or 120/kg."),
}


# --- Reading a listing ------------------------------------------------------------------------

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


def quantity_of(stored: dict) -> quantities.Quantity:
    """The quantity kept in a draft (drafts from before sizes were kept have none)."""
    return quantities.Quantity(stored["amount"], stored["unit"], stored.get("size", 1.0),
                               stored.get("container"))


def leftover_segments(words: list[str], used: list[bool]) -> list[tuple[list[int], bool]]:
    """Runs of words that are no quantity or price: (word indexes, starts with a place marker)."""
    segments: list[tuple[list[int], bool]] = []
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


def read_names(session: Session, cluster: Cluster, segments, parsed: Parsed, words: list[str],
               plain: list[int]) -> None:
    """Finds the place and the product among the leftover words."""
    place_names = places.known(session, cluster)
    taken: set[int] = set()
    found = best_run(segments, words, place_names, PLACE_FLOOR, prefer_late=True)
    marked = [s for s, is_marked in segments if is_marked]
    if found:
        run, place_id = found
        parsed.place = {"id": place_id, "name": join(words, run)}
        taken.update(run)
    elif marked:  # "in Dunga": a place the gazetteer does not know, kept as typed
        parsed.place = {"id": None, "name": join(words, marked[-1])[:100]}
        taken.update(marked[-1])
    names = product_index(session)
    free = [([i for i in s if i not in taken], m) for s, m in segments]
    free = [(s, m) for s, m in free if s]
    found = best_run(free, words, names, PRODUCT_FLOOR)
    if found:
        run, product_id = found
        parsed.product = {"id": product_id, "name": join(words, run)[:100]}
        descriptors = {i for s, _ in free if set(run) & set(s) for i in s}
        taken.update(descriptors)
    else:
        lettered = [s for s, _ in free if any(c.isalpha() for i in s for c in words[i])]
        if lettered:
            parsed.product = {"id": None, "name": join(words, lettered[0])[:100]}
            taken.update(lettered[0])
        elif free:
            parsed.problem = parsed.problem or "product"
            taken.update(i for s, _ in free for i in s)
    rest = [s for s, _ in free if not set(s) & taken]
    if parsed.place is None and rest:
        parsed.place = {"id": None, "name": join(words, rest[-1])[:100]}
        taken.update(rest[-1])
    stray = [i for s, _ in free for i in s if i not in taken and i - 1 in plain]
    if stray and parsed.quantity and parsed.quantity["unit"] is None:
        parsed.problem = parsed.problem or "unit"
        parsed.bad_unit = parsed.bad_unit or words[stray[0]]


def best_run(segments, words: list[str], names: dict[str, int], floor: float,
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


# --- Places -----------------------------------------------------------------------------------

def product_index(session: Session) -> dict[str, int]:
    """handlers.products.catalog_names, kept for the rest of the transaction."""
    if "market_products" not in session.info:
        session.info["market_products"] = catalog_names(session)
    return session.info["market_products"]


def place_answer(places: dict[str, int], typed: str) -> dict:
    """A known place when the name is clearly one, else the name as typed."""
    match = likely(best(typed, places), PLACE_FLOOR)
    return {"id": match.key, "name": typed[:100]} if match else {"id": None, "name": typed[:100]}


def likely(matches: list[Match], floor: float) -> Match | None:
    """The match to take without asking: a sure one, or one above `floor` well ahead of the next
    (`kisumo` is Kisumu, `maiz` is maize): a listing cannot stop to ask "did you mean"."""
    found = sure(matches)
    if found or not matches or matches[0].score < floor or len(matches[0].name) < 4:
        return found
    ahead = len(matches) == 1 or matches[1].score <= matches[0].score - 5
    return matches[0] if ahead else None


# --- Units ------------------------------------------------------------------------------------

def listing_unit(product: catalog.Product | None, unit: str | None) -> str:
    """The unit a listing is kept in: the one written (handlers.quantities brings it to kg, l,
    piece, or leaves a container), else the product's own."""
    return unit or (product.unit if product else "piece")


# --- Posting ----------------------------------------------------------------------------------

def sell(turn: Turn) -> None:
    """Reads an offer from the message, asks what is missing, then posts and matches it."""
    start(turn, "sell")


def buy(turn: Turn) -> None:
    """Reads a request from the message, asks what is missing, then posts and matches it."""
    start(turn, "buy")


def start(turn: Turn, kind: str) -> None:
    """Reads the listing in the message; asks its bad or first missing part, or posts it."""
    turn.end()
    cluster = home_cluster(turn.member)
    if cluster is None:
        return turn.say(turn._("Please register first: send {join}.",
                               join=keyword_word("join", turn.lang)))
    rest = turn.inbound.text.split(" ", 1)[1] if " " in turn.inbound.text else ""
    turn.data, parsed = read_listing(turn.session, cluster, kind, rest)
    bad = PROBLEM_PARTS.get(parsed.problem)
    if bad and all(part in turn.data for part in PARTS[:PARTS.index(bad)]):
        return ASK[bad](turn, hint(turn, parsed.problem, parsed.bad_unit))  # the bad part, and why
    ask_next(turn)


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


def home_cluster(member: Member) -> Cluster | None:
    """The cluster a member's listings belong to (its currency): the first they joined."""
    joined = clusters.clusters_of(member) if member.registered else []
    return joined[0] if joined else None


def hint(turn: Turn, problem: str | None, bad_unit: str | None = None) -> str | None:
    """The short reason a part is asked again."""
    if problem is None:
        return None
    return turn._(HINTS[problem], typed=(bad_unit or "")[:12])


def ask_next(turn: Turn) -> None:
    """Asks the first missing part; with all parts, posts the listing."""
    for part in PARTS:
        if part not in turn.data:
            return ASK[part](turn)
    post(turn)


def ask_product(turn: Turn, preface: str | None = None) -> None:
    question = (turn._("What do you want to sell? Send the product, e.g. tilapia.")
                if turn.data["kind"] == "sell" else
                turn._("What do you want to buy? Send the product, e.g. maize."))
    choices = [Choice(str(p.product_id), catalog.display_name(p.product, turn.lang))
               for p in turn.member.products if p.product_id][:4]
    turn.ask(FLOW, "ask_product", question, choices, preface=preface)


def on_product(turn: Turn) -> None:
    """Stores the product (a catalog product in any language, or the words as typed)."""
    if turn.chosen:
        product = turn.session.get(catalog.Product, int(turn.answer))
        turn.data["product"] = {"id": product.id, "name": catalog.display_name(product, turn.lang)}
        return ask_next(turn)
    typed = turn.answer.strip()[:100]
    if not any(c.isalpha() for c in typed):
        return ask_product(turn, hint(turn, "product"))
    match = likely(best(typed, product_index(turn.session)), PRODUCT_FLOOR)
    turn.data["product"] = {"id": match.key if match else None, "name": typed}
    ask_next(turn)


def ask_quantity(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_quantity",
             turn._("How much {product}? Send the quantity and unit, e.g. 50kg.",
                    product=product_label(turn.session, turn.data["product"].get("id"), turn.lang,
                                          turn.data["product"]["name"])),
             preface=preface)


def on_quantity(turn: Turn) -> None:
    """Stores the quantity, or says what is wrong with it and asks again."""
    parsed, leftover = read_answer(turn.answer, Parsed())
    if parsed.quantity and parsed.quantity["unit"] is None and leftover and not parsed.problem:
        parsed.problem, parsed.bad_unit = "unit", leftover[0]  # 5 zorks
    if parsed.problem in ("quantity", "unit") or parsed.quantity is None:
        return ask_quantity(turn, hint(turn, parsed.problem or "quantity", parsed.bad_unit))
    turn.data["quantity"] = parsed.quantity
    if parsed.price and not parsed.problem and "price" not in turn.data:
        turn.data["price"] = parsed.price  # "50kg 120/kg" answers both
    ask_next(turn)


def read_answer(text: str, parsed: Parsed) -> tuple[Parsed, list[str]]:
    """Reads the quantities and prices of an answer; also returns the words that are neither."""
    words = quantities.split_words(text)
    amounts = read_amounts(words, parsed)
    leftover = [w for i, w in enumerate(words) if not amounts.taken[i] and i not in amounts.plain
                and not quantities.says_amount(w)]
    return parsed, leftover


def ask_price(turn: Turn, preface: str | None = None) -> None:
    measure = unit_label(draft_unit(turn), turn.lang)
    question = (turn._("Price per {measure}? Send a number, e.g. 120.", measure=measure)
                if turn.data["kind"] == "sell" else
                turn._("Highest price per {measure}? Send a number, e.g. 120.", measure=measure))
    turn.ask(FLOW, "ask_price", question, [Choice("none", turn._(CHOOSE_NEGOTIABLE))],
             preface=preface, literal=True)  # "bei 280", "prix 40": a price word first


def on_price(turn: Turn) -> None:
    """Stores the price (or none: negotiable)."""
    if turn.answer == "none":
        turn.data["price"] = None
        return ask_next(turn)
    parsed, leftover = read_answer(turn.answer, Parsed(quantity=turn.data["quantity"]))
    if parsed.problem or parsed.price is None or leftover:
        return ask_price(turn, hint(turn, "price"))
    turn.data["price"] = parsed.price
    ask_next(turn)


def ask_place(turn: Turn, preface: str | None = None) -> None:
    choices = []
    if turn.member.place_name:
        choices.append(Choice("mine", shorten(turn.member.place_name, 26)))
    if turn.data["kind"] == "buy":
        choices.append(Choice("any", turn._(CHOOSE_ANYWHERE)))
    turn.ask(FLOW, "ask_place", turn._("Where? Send the town or market."), choices,
             preface=preface)


def on_place(turn: Turn) -> None:
    """Stores the place: the member's own, anywhere, a known place or the name as typed."""
    cluster = turn.session.get(Cluster, turn.data["cluster"])
    if turn.answer == "mine":
        turn.data["place"] = {"id": turn.member.place_id, "name": turn.member.place_name}
    elif turn.answer == "any" or fold(turn.answer) in ANYWHERE:
        turn.data["place"], turn.data["anywhere"] = {"id": None, "name": ""}, True
    elif not any(c.isalpha() for c in turn.answer):
        return ask_place(turn, turn._("Please send the name of a place."))
    else:
        words = turn.answer.split()
        if len(words) > 1 and fold(words[0]) in PLACE_MARKERS:  # "in Kisumu"
            words = words[1:]
        turn.data["place"] = place_answer(places.known(turn.session, cluster), " ".join(words))
    ask_next(turn)


def draft_unit(turn: Turn) -> str:
    product = product_of(turn.session, turn.data["product"])
    return listing_unit(product, turn.data["quantity"]["unit"])


def product_of(session: Session, product: dict) -> catalog.Product | None:
    return session.get(catalog.Product, product["id"]) if product.get("id") else None


def post(turn: Turn) -> None:
    """Saves the listing, matches it and tells both sides."""
    data, now = turn.data, datetime.now(timezone.utc)
    turn.end()
    cluster = turn.session.get(Cluster, data["cluster"])
    listing = save_listing(turn.session, turn.member, cluster, data, now)
    shared = [c.id for c in clusters.clusters_of(turn.member)]
    found = market.compatible(turn.session, listing, shared, now)
    chosen, bulk = fitting(*choose(listing, found), lambda shown, codes, group: posted_text(
        turn, listing, shown, codes, group)[-1])
    matches = [introduce_match(turn.session, listing, c, now) for c in chosen]
    if bulk:
        mark_grouped(matches, now)
    for text in posted_text(turn, listing, chosen, [m.code for m in matches], bulk):
        turn.say(text)


def save_listing(session: Session, member: Member, cluster: Cluster, data: dict,
                 now: datetime) -> Listing:
    """Writes the listing, in its unit, open for LISTING_DAYS."""
    product = product_of(session, data["product"])
    quantity = data["quantity"]
    unit = listing_unit(product, quantity["unit"])
    price, price_unit = listing_price(data.get("price"), quantity, unit)
    place = data["place"]
    known = session.get(Place, place["id"]) if place.get("id") else None
    anywhere = bool(data.get("anywhere"))
    radius = market.EVERYWHERE_KM if anywhere else data.get("radius") or DEFAULT_RADIUS_KM
    return market.add_listing(
        session, member_id=member.id, cluster_id=cluster.id, kind=data["kind"],
        product_id=product.id if product else None, product_name=data["product"]["name"],
        product_key=product_key(product, data["product"]["name"]),
        quantity=round(quantity["amount"], 3), unit=unit, price=price, price_unit=price_unit,
        currency=cluster.currency, place_id=known.id if known else None,
        place_name=known.name if known else place["name"],
        place_key=f"p:{known.id}" if known else f"w:{' '.join(fold(place['name']).split())}",
        latitude=known.latitude if known else None, longitude=known.longitude if known else None,
        radius_km=radius, anywhere=anywhere, created_at=now,
        expires_at=now + timedelta(days=LISTING_DAYS))


def listing_price(price: dict | None, quantity: dict, unit: str) -> tuple[float | None, str | None]:
    """(price per unit, that unit), as handlers.quantities reads a price against its quantity; a
    price per another unit (120/kg for crates) keeps its unit and is compared only with prices in
    the same unit."""
    if not price:
        return None, None
    written = quantities.Price(price["amount"], price["unit"], price.get("total", False))
    amount, price_unit = quantities.price_per_unit(written, quantity_of(quantity), unit)
    return round(amount, 4), price_unit


def product_key(product: catalog.Product | None, typed: str) -> str:
    """What two listings must share to match: the catalog product, or the same words."""
    if product:
        return f"p:{product.id}"
    words = sorted({singular(w) for w in re.findall(r"\w+", fold(typed)) if not w.isdigit()})
    return "w:" + " ".join(words)[:110]


def singular(word: str) -> str:
    """`lamps` -> `lamp`, so `solar lamp` and `solar lamps` are one product (`glass` stays)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


# --- Matching ---------------------------------------------------------------------------------

def rank(listing: Listing, candidate: Candidate) -> tuple:
    """Nearest (in bands of a few km), then the best price for the poster, then the newest."""
    distance = candidate.distance_km
    band = int(distance // DISTANCE_BAND_KM) if distance is not None else 10**6
    price = candidate.listing.price
    if price is None:
        price_key = float("inf")
    else:
        price_key = price if listing.kind == "buy" else -price
    return band, price_key, -candidate.listing.created_at.timestamp(), -candidate.listing.id


def choose(listing: Listing, found: list[Candidate]) -> tuple[list[Candidate], bool]:
    """The best three; for a request no single offer covers, a group of offers that does."""
    ordered = sorted(found, key=lambda c: rank(listing, c))
    if listing.kind == "buy" and ordered and all(
            c.listing.quantity < listing.quantity for c in ordered):
        group, total = [], 0.0
        for candidate in ordered:
            group.append(candidate)
            total += candidate.listing.quantity
            if total >= listing.quantity:
                break
        if total >= listing.quantity and len(group) <= MAX_BULK:
            return group, True
    return ordered[:SHOWN_MATCHES], False


def introduce_match(session: Session, listing: Listing, candidate: Candidate,
                    now: datetime) -> MarketMatch:
    """Records the match and tells the other side about the new listing, in their language; a
    buyer for whose request the new offer completes a group is told of the whole group instead."""
    other = session.get(Listing, candidate.listing.id)
    offer, request = (listing, other) if listing.kind == "sell" else (other, listing)
    match = market.add_match(session, offer, request, candidate.distance_km)
    if listing.kind == "buy" or not tell_group(session, offer, request, now):
        tell_match(session, listing, other, match)
    return match


def tell_match(session: Session, listing: Listing, other: Listing, match: MarketMatch) -> None:
    """Tells the poster of `other` about the new listing and the code to answer."""
    lang = other.member.language
    values = {"number": other.number, "listing": describe(session, listing, lang, other),
              "accept": f"{keyword_word('yes', lang)} {match.code}",
              "refuse": f"{keyword_word('no', lang)} {match.code}"}
    if other.kind == "sell":
        notify(session, other.member, N_("Buyer for your offer #{number}: {listing}. Reply "
                                         "{accept} to swap numbers, {refuse} to pass."),
               kind="market", **values)
    else:
        notify(session, other.member, N_("Seller for your request #{number}: {listing}. Reply "
                                         "{accept} to swap numbers, {refuse} to pass."),
               kind="market", **values)


def tell_group(session: Session, offer: Listing, request: Listing, now: datetime) -> bool:
    """Tells the buyer of the group of open offers that, with the new one, covers their request
    when no single offer does and no group they were told of still does; False when there is
    no such group (the buyer then hears of the new offer alone)."""
    if offer.quantity >= request.quantity:
        return False
    known = market.matches_of_request(session, request.id)
    if grouped_quantity(known, now) >= request.quantity:
        return False
    buyer = request.member
    shared = [c.id for c in clusters.clusters_of(buyer)]
    found = [c for c in market.compatible(session, request, shared, now, matched_too=True)
             if not refused(known.get(c.listing.id))]
    group, bulk = fitting(*choose(request, found), lambda shown, codes, _: group_text(
        buyer.language, request, shown, codes, GROUP_COMPLETED))
    if not bulk or offer.id not in {c.listing.id for c in group}:
        return False  # no group, or one that needs no new offer: nothing new to tell
    matches = [known.get(c.listing.id) or introduce_match(session, request, c, now)
               for c in group]
    mark_grouped(matches, now)
    return notify_text(session, buyer, group_text(buyer.language, request, group,
                                                  [m.code for m in matches], GROUP_COMPLETED))


def grouped_quantity(matches: dict[int, MarketMatch], now: datetime) -> float:
    """How much the still open offers of groups the buyer was told of hold together."""
    return sum(m.offer.quantity for m in matches.values()
               if m.grouped_at and not refused(m) and m.offer.status == "open"
               and m.offer.expires_at > now)


def refused(match: MarketMatch | None) -> bool:
    return match is not None and False in (match.seller_answer, match.buyer_answer)


def mark_grouped(matches: list[MarketMatch], now: datetime) -> None:
    for match in matches:
        match.grouped_at = now


def fitting(chosen: list[Candidate], bulk: bool,
            text_of: Callable[[list[Candidate], list[str], bool], str]
            ) -> tuple[list[Candidate], bool]:
    """As many of the chosen matches as `text_of(chosen, codes, bulk)` shows in two SMS; a group
    that does not fit gives way to the best three."""
    while chosen:
        if fits_budget(SMS, text_of(chosen, ["K7Q2M9"] * len(chosen), bulk), []):
            break
        chosen, bulk = (chosen[:SHOWN_MATCHES], False) if bulk else (chosen[:-1], False)
    return chosen, bulk


def posted_text(turn: Turn, listing: Listing, chosen: list[Candidate], codes: list[str],
                bulk: bool) -> list[str]:
    """The poster's confirmation, then their matches, one short line each."""
    values = {"number": listing.number, "listing": describe(turn.session, listing, turn.lang),
              "until": short_date(listing.expires_at)}
    if not chosen:
        return [turn._("Posted #{number}: {listing}, until {until}. No match yet: we will tell "
                       "you when one comes.", **values)]
    posted = turn._("Posted #{number}: {listing}, until {until}.", **values)
    if bulk:
        return [posted, group_text(turn.lang, listing, chosen, codes, GROUP_FOUND)]
    lines = "\n".join(match_line(c, code, turn.lang) for c, code in zip(chosen, codes))
    return [posted, turn._("Matches for #{number}:\n{matches}\nReply {yes} and a code to swap "
                           "numbers.", number=listing.number, matches=lines,
                           yes=keyword_word("yes", turn.lang))]


def group_text(lang: str | None, request: Listing, group: list[Candidate], codes: list[str],
               msgid: str) -> str:
    """The offers that together cover `request`, their total quantity and cost, and codes."""
    offers = [c.listing for c in group]
    return translate(lang, msgid, number=request.number, count=len(offers),
                     together=amount_label(sum(o.quantity for o in offers), request.unit, lang),
                     cost=total_value(offers, lang),
                     matches="\n".join(match_line(c, code, lang) for c, code in zip(group, codes)),
                     yes=keyword_word("yes", lang))


def total_value(offers: list[Listing], lang: str | None) -> str:
    """`, KES 24,000` (what the offers cost together) when every offer has a comparable price,
    else nothing."""
    if not offers or any(o.price is None or o.price_unit != o.unit for o in offers):
        return ""
    value = sum(o.price * o.quantity for o in offers)
    return f", {offers[0].currency} {number(value, lang)}"


def match_line(candidate: Candidate, code: str, lang: str) -> str:
    """`K7Q2M9 80kg KES 120/kg Kibuye 3km`: the counterpart listing, compact (a request's price
    as its maximum: `max KES 45/kg`)."""
    other = candidate.listing
    parts = [code, amount_label(other.quantity, other.unit, lang), price_label(other, lang),
             shorten(place_label(other) or "-", SHORT_PLACE)]
    if candidate.distance_km:
        parts.append(f"{round(candidate.distance_km)}km")
    return " ".join(p for p in parts if p)


# --- Showing listings -------------------------------------------------------------------------

def describe(session: Session, listing: Listing, lang: str | None,
             viewer: Listing | None = None) -> str:
    """`tilapia 50kg, KES 120/kg, Kisumu (12km)` in `lang`."""
    product = product_label(session, listing.product_id, lang, listing.product_name)
    amount = amount_label(listing.quantity, listing.unit, lang)
    parts = [f"{shorten(product, SHORT_NAME)} {amount}",
             price_label(listing, lang) or translate(lang, NEGOTIABLE)]
    place = place_label(listing) or translate(lang, CHOOSE_ANYWHERE)
    distance = market.distance_km(listing, viewer) if viewer else None
    parts.append(shorten(place, SHORT_NAME) + (f" ({round(distance)}km)" if distance else ""))
    return ", ".join(parts)


def place_label(listing: Listing) -> str:
    """The place as members say it: `Kibuye`, not the gazetteer's `Kibuye (Kisumu)`."""
    return listing.place_name.split(" (")[0] if listing.place_id else listing.place_name


def amount_label(amount: float, unit: str, lang: str | None) -> str:
    """`50kg`, `1.5l`, `30 pcs` (`1,5l` in French, `vipande 30` in Swahili)."""
    if unit in COUNTED:
        return translate(lang, COUNTED[unit], count=amount)
    space = "" if len(unit) <= 2 else " "
    return f"{number(amount, lang)}{space}{unit}"


def price_label(listing: Listing, lang: str | None) -> str:
    """`KES 120/kg`, or `max KES 45/kg` on a request; empty when negotiable."""
    if listing.price is None:
        return ""
    unit = unit_label(listing.price_unit, lang)
    text = f"{listing.currency} {number(listing.price, lang)}/{unit}"
    return translate(lang, AT_MOST, amount=text) if listing.kind == "buy" else text


def short_date(moment: datetime) -> str:
    return moment.strftime("%d/%m")


def offers(turn: Turn) -> None:
    """Lists the member's open listings with their short numbers."""
    turn.end()
    now = datetime.now(timezone.utc)
    mine = market.open_listings(turn.session, turn.member.id, now)
    if not mine:
        return turn.say(turn._("You have no open listings. Send {sell} or {buy} to post one.",
                               sell=keyword_word("sell", turn.lang),
                               buy=keyword_word("buy", turn.lang)))
    lines = [f"#{listing.number} {keyword_word(listing.kind, turn.lang)} "
             f"{describe(turn.session, listing, turn.lang)}, {short_date(listing.expires_at)}"
             for listing in mine[:SHOWN_LISTINGS]]
    for shown in range(len(lines), 0, -1):  # as many as fit in two SMS, then how many more
        hidden = len(mine) - shown
        listed = "\n".join(lines[:shown] + ([f"+{hidden}"] if hidden else []))
        text = turn._("Your listings:\n{listings}\n{close} number: close. {renew} number: 7 more "
                      "days.", listings=listed, close=keyword_word("close", turn.lang),
                      renew=keyword_word("renew", turn.lang))
        if fits_budget(SMS, text, []):
            break
    turn.say(text)


def close(turn: Turn) -> None:
    """Closes one of the member's listings by its number."""
    listing = named_listing(turn, "close")
    if listing is not None:
        market.close(listing, datetime.now(timezone.utc))
        turn.say(turn._("Closed #{number}.", number=listing.number))


def renew(turn: Turn) -> None:
    """Keeps one of the member's listings open for another week."""
    listing = named_listing(turn, "renew")
    if listing is None:
        return
    if listing.status == "closed":
        return turn.say(turn._("#{number} is closed. Send {sell} or {buy} to post it again.",
                               number=listing.number, sell=keyword_word("sell", turn.lang),
                               buy=keyword_word("buy", turn.lang)))
    market.renew(listing, datetime.now(timezone.utc), LISTING_DAYS)
    turn.say(turn._("Renewed #{number} until {until}.", number=listing.number,
                    until=short_date(listing.expires_at)))


def named_listing(turn: Turn, keyword: str) -> Listing | None:
    """The listing whose number follows the keyword; says how to name one otherwise."""
    turn.end()
    words = turn.inbound.text.split()
    number = words[1].lstrip("#") if len(words) > 1 else ""
    found = quantities.whole_number(number, digits=6)
    listing = (market.listing_by_number(turn.session, turn.member.id, found)
               if found is not None else None)
    if listing is None:
        word = keyword_word(keyword, turn.lang)
        if number:
            turn.say(turn._("You have no listing #{number}. Send {offers} to see yours.",
                            number=number[:7], offers=keyword_word("offers", turn.lang)))
        else:
            usage = f"{word} 3"
            turn.say(turn._("Send {word} and the listing number, e.g. {usage}.", word=word,
                            usage=usage))
    return listing


# --- Introductions ----------------------------------------------------------------------------

def open_invitations(session: Session, member: Member, code: str | None) -> list:
    """The matches the member may still answer YES or NO to (for handlers.answers)."""
    since = datetime.now(timezone.utc) - ANSWER_WITHIN
    return [Invitation(m.code, m.created_at, lambda turn, yes, m=m: answer(turn, m, yes))
            for m in market.awaiting_answer(session, member.id, since, code)]


def answer(turn: Turn, match: MarketMatch, yes: bool) -> None:
    """Records the member's answer; when both said YES, shares each side's contact."""
    seller = turn.member.id == match.seller_id
    if seller:
        match.seller_answer = yes
    else:
        match.buyer_answer = yes
    if not yes:
        return turn.say(turn._("OK, no introduction for {code}.", code=match.code))
    if match.seller_answer and match.buyer_answer:
        return introduce(turn, match)
    turn.say(turn._("Thanks. We will send you their contact when they say {yes} too.",
                    yes=keyword_word("yes", turn.lang)))


def introduce(turn: Turn, match: MarketMatch) -> None:
    """Sends each side the other's name, phone and Telegram name."""
    match.introduced_at = datetime.now(timezone.utc)
    me = turn.member
    other_id = match.buyer_id if me.id == match.seller_id else match.seller_id
    other = turn.session.get(Member, other_id)
    turn.say(introduction_text(turn.session, match, me, other))
    if not notify_text(turn.session, other, introduction_text(turn.session, match, other, me)):
        turn.say(turn._("We could not reach them; please try another match."))


def introduction_text(session: Session, match: MarketMatch, reader: Member, other: Member) -> str:
    lang = reader.language
    listing = match.request if reader.id == match.seller_id else match.offer
    values = {"name": other.name or "-", "contact": contact(other),
              "listing": describe(session, listing, lang), "code": match.code}
    if reader.id == match.seller_id:
        return translate(lang, N_("Buyer {name}: {contact}, for {listing} (code {code})."),
                         **values)
    return translate(lang, N_("Seller {name}: {contact}, for {listing} (code {code})."), **values)


def contact(member: Member) -> str:
    """`+254722000002, Telegram @juma`: how to reach a member who agreed to be introduced."""
    parts = [member.phone] if member.phone else []
    if member.telegram_username:
        parts.append(f"Telegram @{member.telegram_username}")
    elif member.telegram_id and not member.phone:
        parts.append(f"tg://user?id={member.telegram_id}")
    return ", ".join(parts) or "-"


def notify_text(session: Session, member: Member, text: str) -> bool:
    """Queues an already translated text (introductions are built per reader)."""
    from storage import outbox

    return outbox.queue_to_member(session, member, text, kind="market") is not None


# --- Deals ------------------------------------------------------------------------------------

def deal(turn: Turn) -> None:
    """DEAL code quantity price: records a deal that came of an introduction. A coordinator's
    bare DEAL shows the deals reported in their clusters."""
    turn.end()
    words = turn.inbound.text.split()
    if len(words) == 1 and coordinators.coordinated(turn):
        return trade_report(turn)
    match = introduced_match(turn, words[1] if len(words) > 1 else None)
    if match is None:
        return
    rest = " ".join(words[2:])
    quantity, price = read_deal(match.offer, rest)
    if quantity is None:
        return turn.say(deal_usage(turn, match.code))
    market.record_deal(turn.session, match, turn.member.id, True, quantity, price)
    text = amount_label(quantity, match.offer.unit, turn.lang)
    if price is not None:
        text += f", {match.offer.currency} {number(price, turn.lang)}/" \
                f"{unit_label(match.offer.unit, turn.lang)}"
    turn.say(turn._("Thanks! Deal recorded: {recorded}.", recorded=text))


def trade_report(turn: Turn) -> None:
    """The deals members reported in each cluster the coordinator coordinates, last 30 days."""
    since = datetime.now(timezone.utc) - TRADE_PERIOD
    for cluster in coordinators.coordinated(turn):
        figures = market.trade_figures(turn.session, cluster.id, since)
        if not figures:
            turn.say(turn._("No deals reported in {cluster} in the last 30 days.",
                            cluster=cluster.name))
            continue
        lines = [figure_line(turn, figure) for figure in figures]
        for shown in range(len(lines), 0, -1):  # as many products as fit in two SMS
            hidden = len(lines) - shown
            text = turn._("Deals reported in {cluster}, last 30 days:\n{figures}",
                          cluster=cluster.name,
                          figures="\n".join(lines[:shown] + ([f"+{hidden}"] if hidden else [])))
            if fits_budget(SMS, text, []):
                break
        turn.say(text)


def figure_line(turn: Turn, figure: market.TradeFigure) -> str:
    """`tilapia 3x 240kg KES 28,800`: deals, quantity and value of one product."""
    name = product_label(turn.session, figure.product_id, turn.lang, figure.product)
    value = f" {figure.currency} {number(figure.value, turn.lang)}" if figure.value else ""
    return (f"{shorten(name, SHORT_PLACE)} {figure.deals}x "
            f"{amount_label(figure.quantity, figure.unit, turn.lang)}{value}")


def no_deal(turn: Turn) -> None:
    """NO DEAL code: records that the introduction led to no deal."""
    turn.end()
    words = turn.inbound.text.split()
    match = introduced_match(turn, words[2] if len(words) > 2 else None)
    if match is None:
        return
    market.record_deal(turn.session, match, turn.member.id, False)
    turn.say(turn._("Thanks, noted: no deal."))


def introduced_match(turn: Turn, code: str | None) -> MarketMatch | None:
    """The member's introduction with this code; says what is wrong otherwise."""
    match = market.by_code(turn.session, code.strip(".,!")[:8]) if code else None
    if match and match.introduced_at and turn.member.id in (match.seller_id, match.buyer_id):
        return match
    if code:
        turn.say(turn._("No introduction of yours has the code {code}.", code=code[:8].upper()))
    else:
        turn.say(deal_usage(turn, "K7Q2M9"))
    return None


def deal_usage(turn: Turn, code: str) -> str:
    deal_word = f"{keyword_word('deal', turn.lang)} {code}"
    sample, nodeal = f"{deal_word} 50kg 120", f"{keyword_word('no', turn.lang)} {deal_word}"
    return turn._("Send {dealcode} quantity price, e.g. {sample}, or {nodeal}.",
                  dealcode=deal_word, sample=sample, nodeal=nodeal)


def read_deal(offer: Listing, text: str) -> tuple[float | None, float | None]:
    """(quantity in the offer's unit, price per that unit or None) from `80kg 120`."""
    parsed, leftover = read_answer(text, Parsed())
    quantity = parsed.quantity
    if quantity is None or parsed.problem or leftover or quantity["unit"] not in (None, offer.unit):
        return None, None
    price, price_unit = listing_price(parsed.price, quantity, offer.unit)
    return quantity["amount"], (price if price_unit == offer.unit else None)


# --- Jobs -------------------------------------------------------------------------------------

def remind_and_expire(session: Session, now: datetime) -> tuple[int, int]:
    """Reminds members of listings ending within a day, and closes those past their end."""
    reminded = 0
    for listing in market.due_reminders(session, now, REMIND_BEFORE):
        listing.reminded_at = now
        lang = listing.member.language
        reminded += notify(
            session, listing.member,
            N_("Your listing #{number} ({product}) ends tomorrow. Send {renewal} to keep it 7 "
               "more days."), kind="market", number=listing.number,
            product=product_label(session, listing.product_id, lang, listing.product_name),
            renewal=f"{keyword_word('renew', lang)} {listing.number}")
    return reminded, market.expire_due(session, now)


def follow_up(session: Session, now: datetime) -> int:
    """Asks both sides of introductions a few days old whether a deal happened."""
    sent = 0
    for match in market.due_follow_ups(session, now - FOLLOW_UP_AFTER):
        match.follow_up_sent_at = now
        for reader_id, other_id in ((match.seller_id, match.buyer_id),
                                    (match.buyer_id, match.seller_id)):
            reader, other = session.get(Member, reader_id), session.get(Member, other_id)
            lang = reader.language
            deal_word = f"{keyword_word('deal', lang)} {match.code}"
            sent += notify(session, reader, N_(
                "Did you make a deal with {name} ({code})? Reply {dealcode} quantity price, or "
                "{nodeal}."), kind="market", name=other.name or "-", code=match.code,
                dealcode=deal_word, nodeal=f"{keyword_word('no', lang)} {deal_word}")
    return sent


def listings_job() -> None:
    """Scheduled: listing reminders and expiry."""
    with jobs.transaction() as session:
        remind_and_expire(session, jobs.now())


def follow_up_job() -> None:
    """Scheduled: deal follow-ups."""
    with jobs.transaction() as session:
        follow_up(session, jobs.now())


ASK = {"product": ask_product, "quantity": ask_quantity, "price": ask_price, "place": ask_place}
PROBLEM_PARTS = {"product": "product", "quantity": "quantity", "unit": "quantity", "price": "price"}
KEYWORDS = {"sell": sell, "buy": buy, "offers": offers, "close": close, "renew": renew,
            "deal": deal}
STEPS = {"ask_product": on_product, "ask_quantity": on_quantity, "ask_price": on_price,
         "ask_place": on_place}
JOBS = [("market-listings", "handlers.market:listings_job", {"trigger": "interval", "minutes": 15}),
        ("market-follow-ups", "handlers.market:follow_up_job",
         {"trigger": "interval", "minutes": 60})]
