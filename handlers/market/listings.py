"""SELL and BUY: the listing is read from the message; its bad or missing parts are asked one at
a time (product, quantity, price, place), then it is posted."""
from handlers.labels import product_label, shorten, unit_label
from handlers.market.posting import listing_unit, post, product_of
from handlers.market.reading import (PARTS, Parsed, has_letters, place_answer, product_answer,
                                     read_answer, read_listing, says_anywhere)
from handlers.market.showing import CHOOSE_ANYWHERE, CHOOSE_NEGOTIABLE
from handlers.turn import Choice, Turn
from locales.i18n import N_, keyword_word
from storage import clusters
from storage import products as catalog
from storage.models import Cluster, Member

FLOW = "market"
HINTS = {  # why a part of a listing is asked again
    "product": N_("Please write the product name in letters, e.g. tilapia."),
    "quantity": N_("Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    "unit": N_("I do not know the unit \"{typed}\". Use kg, g, t, l, ml, pcs, crates or bags."),
    "price": N_("Please send the price as a number, e.g. 120 or 120/kg."),
}


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
    if not has_letters(typed):
        return ask_product(turn, hint(turn, "product"))
    turn.data["product"] = product_answer(turn.session, typed)
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


def draft_unit(turn: Turn) -> str:
    product = product_of(turn.session, turn.data["product"])
    return listing_unit(product, turn.data["quantity"]["unit"])


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
    if turn.answer == "mine":
        turn.data["place"] = {"id": turn.member.place_id, "name": turn.member.place_name}
    elif turn.answer == "any" or says_anywhere(turn.answer):
        turn.data["place"], turn.data["anywhere"] = {"id": None, "name": ""}, True
    elif not has_letters(turn.answer):
        return ask_place(turn, turn._("Please send the name of a place."))
    else:
        cluster = turn.session.get(Cluster, turn.data["cluster"])
        turn.data["place"] = place_answer(turn.session, cluster, turn.answer)
    ask_next(turn)


ASK = {"product": ask_product, "quantity": ask_quantity, "price": ask_price, "place": ask_place}
PROBLEM_PARTS = {"product": "product", "quantity": "quantity", "unit": "quantity", "price": "price"}
