"""Tender alerts: when a tender opens, the members of its cluster who supply its products hear of
it in their language on their channel, in at most two SMS: what and how much, where, by when,
its code and how to pledge. Opted-out and deleted members never; nobody twice."""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.budget import SMS, fits_budget, most_that_fit
from handlers.dates import format_when
from handlers.labels import product_label, shorten, unit_label
from handlers.market.showing import AT_MOST, amount_label
from handlers.tenders.eligibility import group_names
from locales.i18n import N_, keyword_word, number, translate
from storage import jobs, outbox, tender_alerts, tenders
from storage.models import Cluster, Member
from storage.tenders import Tender, TenderItem

ALERT = N_("Tender {tender}: {buyer} buys {items}, delivered to {delivery}. Pledges close "
           "{closes}. To pledge part, reply e.g. {pledge}")
ALERT_NO_PLACE = N_("Tender {tender}: {buyer} buys {items}. Pledges close {closes}. To pledge "
                    "part, reply e.g. {pledge}")
RESERVED = N_("Reserved for businesses of: {groups}.")
MORE_ITEMS = "+{hidden}"
SHORT_BUYER = 30
SHORT_PLACE = 20
SHORT_PRODUCT = 20
# (buyer, product) lengths tried in order: the alert without reserved groups always fits the second
CUTS = ((40, 30), (SHORT_BUYER, SHORT_PRODUCT), (16, 12))


def alerts_job() -> None:
    """Scheduled: tells the suppliers of tenders that opened."""
    with jobs.transaction() as session:
        send_alerts(session, jobs.now())


def send_alerts(session: Session, now: datetime) -> int:
    """Alerts the suppliers of each open tender not yet alerted; returns how many were told."""
    told = 0
    for tender in tender_alerts.to_alert(session, now):
        cluster = session.get(Cluster, tender.cluster_id)
        for member in tender_alerts.suppliers(session, tender):
            tender_alerts.mark_alerted(session, tender, member, now)
            text = alert(session, tender, cluster, member)
            told += outbox.queue_to_member(session, member, text, kind="tender") is not None
        tender.alerted_at = now
    return told


def alert(session: Session, tender: Tender, cluster: Cluster, member: Member) -> str:
    """The alert in the member's language: the items they supply first, as many as fit two SMS
    with the others counted; names cut shorter when even one item does not fit."""
    mine = tender_alerts.supplied_items(session, tender, member)
    items = mine + [i for i in tenders.pledgeable(tender) if i not in mine]
    for buyer, product in CUTS:
        text = alert_text(session, tender, cluster, member.language, items, buyer, product)
        if fits_budget(SMS, text):
            break
    return text


def alert_text(session: Session, tender: Tender, cluster: Cluster, lang: str | None,
               items: list[TenderItem], buyer: int, product: int) -> str:
    """The alert with the buyer cut to `buyer` characters and product names to `product`."""
    values = {"tender": tender.code, "buyer": shorten(tender.buyer, buyer),
              "closes": format_when(tender.deadline, cluster.timezone, lang, swahili_hour=False),
              "pledge": pledge_example(tender, items[0], lang)}
    msgid = ALERT_NO_PLACE
    if tender.delivery_place_name:
        msgid = ALERT
        values["delivery"] = shorten(tender.delivery_place_name.split(" (")[0], SHORT_PLACE)
    lines = [item_line(session, tender, item, lang, product) for item in items]
    reserved = reserved_sentence(tender, lang)

    def text(shown: list[str], hidden: int) -> str:
        counted = [MORE_ITEMS.format(hidden=hidden)] if hidden else []
        body = translate(lang, msgid, items=", ".join(shown + counted), **values)
        return f"{body} {reserved}" if reserved else body

    return most_that_fit(text, lines, least=1)


def item_line(session: Session, tender: Tender, item: TenderItem, lang: str | None,
              longest: int = SHORT_PRODUCT) -> str:
    """`omena 5,000kg (max KES 120/kg)`, led by the item's code when the tender has several;
    the product's name cut to `longest` characters."""
    product = shorten(product_label(session, item.product_id, lang, item.description), longest)
    line = f"{product} {amount_label(item.quantity, item.unit, lang)}"
    if item.max_price is not None:
        price = f"{tender.currency or 'KES'} {per_unit(item.max_price, item, lang)}"
        line += f" ({translate(lang, AT_MOST, amount=price)})"
    code = tenders.item_code(item)
    return line if code == tender.code else f"{code} {line}"


def per_unit(price: float, item: TenderItem, lang: str | None) -> str:
    """`120/kg`, `50/kipande`."""
    return f"{number(price, lang)}/{unit_label(item.unit, lang)}"


def pledge_example(tender: Tender, item: TenderItem, lang: str | None) -> str:
    """`BID K4P7 200kg 135/kg`: a tenth of the need, rounded, and a price under the maximum
    (none when the tender sets no maximum)."""
    share = example_share(item.quantity)
    parts = [keyword_word("bid", lang), tenders.item_code(item),
             amount_label(share, item.unit, lang)]
    if item.max_price:
        parts.append(per_unit(round(item.max_price * 0.9), item, lang))
    return " ".join(parts)


def example_share(quantity: float) -> float:
    """About a tenth of `quantity`, to one significant digit (5000 -> 500, 240 -> 20), at least
    one."""
    tenth = quantity / 10
    if tenth < 1:
        return 1
    magnitude = 10 ** (len(str(int(tenth))) - 1)
    return round(tenth / magnitude) * magnitude


def reserved_sentence(tender: Tender, lang: str | None) -> str:
    """`Reserved for businesses owned by: women, youth.`, or empty for an open tender."""
    groups = group_names(tender.reserved or [], lang, short=True)
    return translate(lang, RESERVED, groups=groups) if groups else ""
