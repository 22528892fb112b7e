"""BID: a member pledges part of a tender's item, `BID K4P7 500kg 120/kg` in any language. The
quantity and price are read by the marketplace's reader (handlers.quantities: `5t`, `5000kg`,
`gunia 20 za kilo 90`) and brought to the item's unit; a missing code, item or quantity is
asked. A new BID changes the pledge (it keeps its place), `BID K4P7 0` withdraws it. A pledge
beyond what is still open is kept as a reserve, and the member is told so."""
from dataclasses import dataclass
from datetime import datetime, timezone

from handlers import quantities
from handlers.labels import shorten
from handlers.market.showing import amount_label
from handlers.tenders import consortium, eligibility
from handlers.turn import Choice, Turn
from locales.i18n import N_, fold, keyword_word, number
from storage import audit, clusters
from storage import tender_pledges as pledges
from storage import tenders as stored
from storage.tenders import Pledge, Tender, TenderItem, item_code, pledgeable

FLOW = "tender"
SHORT_CHOICE = 20
MOST_ITEMS, SHORT_ITEM = 3, 30  # items shown as choices; the others are pledged by their code

ASK_CODE = N_("Which tender do you pledge for? Send its code, e.g. K4P7.")
ASK_ITEM = N_("Tender {code} buys several things. Which one do you pledge for? Send its code, "
              "e.g. {first}.")
ASK_AMOUNT = N_("How much {product} do you pledge for {code}? Still open: {open}. Send the "
                "quantity, and your price if you wish, e.g. {sample}.")
UNKNOWN = N_("There is no tender {code} in your cluster. Please check the code in the message "
             "you got.")
CLOSED = N_("Tender {code} is closed: pledges are no longer taken.")
REGISTER = N_("Please register first: send {join}.")
QUANTITY_HINT = N_("Please send a quantity above 0, e.g. {sample}.")
UNIT_HINT = N_("Tender {code} counts {product} in {unit}: please send e.g. {sample}.")
PRICE_HINT = N_("Please send the price as a number, e.g. 120 or 120/kg.")
OVER_MAX = N_("The buyer pays at most {price} for {code}: send a price at or below it, or no "
              "price.")
PLEDGED = N_("Your pledge for {code}: {pledged}. Your share: {share} of {need}; still "
             "open: {open}.")
PLEDGED_PART = N_("Your pledge for {code}: {pledged}. Only {share} was still open: "
                  "that is your share, the rest is kept as a reserve.")
PLEDGED_RESERVE = N_("Your pledge for {code}: {pledged}. The tender is already "
                     "covered, so you are reserve number {rank}: we will tell you if a place "
                     "opens.")
WITHDRAWN = N_("Your pledge for {code} is withdrawn.")
NO_PLEDGE = N_("You have no pledge for {code}.")


@dataclass
class Bid:
    """What the words of a BID say: a quantity in the item's unit (0: withdraw) and a price per
    that unit, or the hint (msgid and values) to ask again with."""

    quantity: float | None = None
    price: float | None = None
    hint: str | None = None
    values: dict | None = None


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- BID and its questions ----------------------------------------------------------------------

def bid(turn: Turn) -> None:
    """Reads `BID code quantity [price]`; asks the code, the item or the quantity when missing."""
    turn.end()
    if not turn.member.registered:
        return turn.say(turn._(REGISTER, join=keyword_word("join", turn.lang)))
    words = turn.inbound.text.split()[1:]
    if not words:
        return ask_code(turn)
    written, amount = words[0], " ".join(words[1:])
    tender = stored.by_code(turn.session, written)
    if tender is None and says_amount(written):  # BID 500kg: the code is missing
        turn.data["amount"] = " ".join(words)
        return ask_code(turn)
    take_code(turn, tender, written, amount)


def says_amount(word: str) -> bool:
    """`500kg`, `500`, `gunia`: the start of a quantity rather than a code."""
    return bool(quantities.read_quantity(word) or quantities.read_unit(word)
                or quantities.says_amount(word))


def ask_code(turn: Turn, preface: str | None = None) -> None:
    cluster_ids = [c.id for c in clusters.clusters_of(turn.member)]
    choices = [Choice(t.code, f"{t.code} {shorten(t.title, SHORT_CHOICE)}")
               for t in pledges.open_tenders(turn.session, cluster_ids, now())]
    turn.ask(FLOW, "ask_code", turn._(ASK_CODE), choices, preface=preface)


def on_code(turn: Turn) -> None:
    """The code answered (a pressed tender or typed: `K4P7`, `K4P7-2 500kg`)."""
    words = turn.answer.split() or [""]
    amount = turn.data.get("amount") or " ".join(words[1:])
    turn.end()
    take_code(turn, stored.by_code(turn.session, words[0]), words[0], amount)


def take_code(turn: Turn, tender: Tender | None, written: str, amount: str) -> None:
    """Checks the tender is the member's and open, finds the item, then reads the amount."""
    shown = shorten(written.upper(), 12)
    if tender is None or not pledges.in_cluster(turn.session, turn.member.id, tender.cluster_id):
        return turn.say(turn._(UNKNOWN, code=shown))
    if not pledges.taking_pledges(tender, now()) or not pledgeable(tender):
        return turn.say(turn._(CLOSED, code=tender.code))
    items = pledgeable(tender)
    if "-" in written:
        item = stored.item_by_code(turn.session, written)
        if item is None:
            return turn.say(turn._(UNKNOWN, code=shown))
    elif len(items) == 1:
        item = items[0]
    elif withdrawing(amount):
        return withdraw(turn, tender, items)
    else:
        turn.data.update(tender=tender.id, amount=amount)
        return ask_item(turn, tender)
    take_amount(turn, item, amount)


def ask_item(turn: Turn, tender: Tender, preface: str | None = None) -> None:
    items = pledgeable(tender)
    turn.data["code"] = tender.code
    choices = [Choice(str(item.id), shorten(
        f"{item_code(item)} {consortium.item_name(turn.session, item, turn.lang)} "
        f"{amount_label(item.quantity, item.unit, turn.lang)}", SHORT_ITEM))
        for item in items[:MOST_ITEMS]]
    turn.ask(FLOW, "ask_item", turn._(ASK_ITEM, code=tender.code, first=item_code(items[0])),
             choices, preface=preface)


def on_item(turn: Turn) -> None:
    """The item chosen (a button or its number), or typed as `K4P7-2`."""
    tender = turn.session.get(Tender, turn.data["tender"])
    amount = turn.data.get("amount", "")
    if tender is None:  # removed while the question was open
        code = turn.data.get("code", "")
        turn.end()
        return turn.say(turn._(UNKNOWN, code=code))
    if turn.chosen:
        item = turn.session.get(TenderItem, int(turn.answer))
    else:
        words = turn.answer.split() or [""]
        item = stored.item_by_code(turn.session, words[0])
        if item is None or item.tender_id != tender.id:
            return ask_item(turn, tender)
        amount = amount or " ".join(words[1:])
    turn.end()
    take_amount(turn, item, amount)


def ask_amount(turn: Turn, item: TenderItem, preface: str | None = None) -> None:
    turn.data.update(item=item.id, code=item_code(item))
    turn.ask(FLOW, "ask_amount", turn._(
        ASK_AMOUNT, code=item_code(item),
        product=consortium.item_name(turn.session, item, turn.lang),
        open=amount_label(pledges.still_open(item), item.unit, turn.lang),
        sample=example(item, turn.lang, price=True)), preface=preface)


def on_amount(turn: Turn) -> None:
    item = turn.session.get(TenderItem, turn.data["item"])
    code = turn.data.get("code", "")
    turn.end()
    if item is None:  # removed while the question was open
        return turn.say(turn._(UNKNOWN, code=code))
    take_amount(turn, item, turn.answer)


def example(item: TenderItem, lang: str | None, price: bool = False) -> str:
    """`500kg`, or `500kg 120/kg` with a price."""
    shown = amount_label(500, item.unit, lang)
    return f"{shown} 120/{item.unit}" if price else shown


# --- Reading the amount -------------------------------------------------------------------------

def withdrawing(text: str) -> bool:
    words = quantities.split_words(text)
    found = quantities.read_amounts(words)
    return bool(words) and found.quantity is not None and found.quantity.amount == 0


def read_bid(turn: Turn, item: TenderItem, text: str) -> Bid:
    """The quantity (in the item's unit) and price per unit a BID's words say, or why not."""
    words = quantities.split_words(text)
    found = quantities.read_amounts(words)
    quantity = found.quantity
    if quantity is not None and quantity.amount == 0:
        return Bid(quantity=0)
    if found.problem in ("quantity", "unit") or quantity is None or stray_unit(words, found):
        return Bid(hint=QUANTITY_HINT, values={"sample": example(item, turn.lang)})
    if quantity.unit is not None and quantity.unit != item.unit:
        return Bid(hint=UNIT_HINT, values={
            "code": item_code(item), "unit": item.unit, "sample": example(item, turn.lang),
            "product": consortium.item_name(turn.session, item, turn.lang)})
    if quantity.unit is None:
        quantity = quantities.Quantity(quantity.amount, item.unit)
    if found.problem == "price":
        return Bid(hint=PRICE_HINT, values={})
    price = read_price(found.price, quantity, item)
    if price == -1:
        return Bid(hint=PRICE_HINT, values={})
    if price is not None and item.max_price is not None \
            and price > item.max_price + stored.EPSILON:
        currency = item.tender.currency or ""
        return Bid(hint=OVER_MAX, values={"code": item_code(item), "price": (
            f"{currency} {number(item.max_price, turn.lang)}/{item.unit}").strip()})
    return Bid(quantity=round(quantity.amount, 3), price=price)


def stray_unit(words: list[str], found: quantities.Amounts) -> bool:
    """`500 zorks`: a word nothing read, right after a quantity without a unit."""
    if found.quantity is None or found.quantity.unit is not None or not found.plain:
        return False
    after = found.plain[0] + 1
    return (after < len(words) and not found.taken[after] and after not in found.plain
            and not quantities.says_amount(words[after])
            and fold(words[after]) not in quantities.LIMIT_WORDS)


def read_price(price: quantities.Price | None, quantity: quantities.Quantity,
               item: TenderItem) -> float | None:
    """The price per the item's unit; None without a price, -1 for a price per another unit."""
    if price is None:
        return None
    amount, unit = quantities.price_per_unit(price, quantity, item.unit)
    return round(amount, 4) if unit == item.unit else -1


# --- Saving -------------------------------------------------------------------------------------

def take_amount(turn: Turn, item: TenderItem, text: str) -> None:
    """Pledges what the words say, withdraws on 0, or asks the amount again with a hint."""
    if not pledges.taking_pledges(item.tender, now()):  # closed while the question was open
        return turn.say(turn._(CLOSED, code=item.tender.code))
    if not text.strip():
        return ask_amount(turn, item)
    read = read_bid(turn, item, text)
    if read.hint:
        return ask_amount(turn, item, turn._(read.hint, **read.values))
    if read.quantity == 0:
        return withdraw(turn, item.tender, [item])
    pledge(turn, item, read.quantity, read.price)


def pledge(turn: Turn, item: TenderItem, quantity: float, price: float | None) -> None:
    """Saves the pledge (a changed one keeps its place), tells the member where it stands and
    lets the consortium follow."""
    session, tender = turn.session, item.tender
    before = pledges.snapshot(tender)
    mine = next((p for p in item.pledges if p.member_id == turn.member.id), None)
    if mine is None:
        mine = Pledge(member_id=turn.member.id, quantity=quantity, price=price, pledged_at=now())
        item.pledges.append(mine)
    else:
        mine.quantity = quantity
        mine.price = price if price is not None else mine.price
    session.flush()
    audit.record(session, action="tender.pledge", actor=turn.member, cluster_id=tender.cluster_id,
                 tender=tender.code, item=item.position, quantity=quantity, price=mine.price)
    turn.say(confirmation(turn, item, mine))
    consortium.after_change(session, tender, before, turn.member, False, now())
    if eligibility.unasked(turn.member, tender):  # a reserved tender's bid sheet needs it
        eligibility.ask(turn)


def confirmation(turn: Turn, item: TenderItem, mine: Pledge) -> str:
    """Where the member's pledge stands: its share of the need, part a reserve, or a reserve."""
    standing = next(s for s in stored.standings(item) if s.pledge is mine)
    lang, currency = turn.lang, item.tender.currency or ""
    pledged = (f"{amount_label(mine.quantity, item.unit, lang)} "
               f"{consortium.item_name(turn.session, item, lang)}")
    if mine.price is not None:
        pledged += f", {currency} {number(mine.price, lang)}/{item.unit}".replace(",  ", ", ")
    values = {"code": item_code(item), "pledged": pledged,
              "share": amount_label(standing.share, item.unit, lang)}
    if standing.rank is not None:
        return turn._(PLEDGED_RESERVE, rank=str(standing.rank), **values)
    if standing.share < mine.quantity - stored.EPSILON:
        return turn._(PLEDGED_PART, **values)
    return turn._(PLEDGED, need=amount_label(item.quantity, item.unit, lang),
                  open=amount_label(pledges.still_open(item), item.unit, lang), **values)


def withdraw(turn: Turn, tender: Tender, items: list[TenderItem]) -> None:
    """Withdraws the member's pledges for these items (all of a tender's with `BID code 0`)."""
    before = pledges.snapshot(tender)
    gone = [(item, p) for item in items for p in item.pledges if p.member_id == turn.member.id]
    code = item_code(items[0]) if len(items) == 1 else tender.code
    if not gone:
        return turn.say(turn._(NO_PLEDGE, code=code))
    for item, mine in gone:
        item.pledges.remove(mine)
    turn.session.flush()
    audit.record(turn.session, action="tender.withdraw", actor=turn.member,
                 cluster_id=tender.cluster_id, tender=tender.code,
                 items=[item.position for item, _ in gone])
    turn.say(turn._(WITHDRAWN, code=code))
    consortium.after_change(turn.session, tender, before, turn.member, True, now())
