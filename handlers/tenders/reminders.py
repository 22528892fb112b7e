"""Tender reminders and closing: two days before the deadline, once, every pledger is reminded of
what they pledged and the coordinators of where the tender stands (covered, or short by how
much); at the deadline the tender stops taking pledges."""
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.budget import most_that_fit
from handlers.dates import format_when
from handlers.labels import product_label, shorten, unit_label
from handlers.market.showing import amount_label
from handlers.notify import notify
from handlers.tenders.alerts import SHORT_BUYER, SHORT_PRODUCT
from locales.i18n import N_, keyword_word, number, translate
from storage import jobs, outbox, tender_alerts, tenders
from storage.models import Cluster, Member
from storage.skills import coordinators
from storage.tenders import Pledge, Tender, TenderItem

REMIND_BEFORE = timedelta(hours=48)

PLEDGER = N_("Reminder: tender {tender} ({buyer}) closes {closes}. You pledged {pledged}. To "
             "change it reply {again}; to withdraw, {withdraw}.")
COVERED = N_("Tender {tender} ({buyer}) closes {closes}. The pledges cover it (pledgers: "
             "{count}).")
SHORT = N_("Tender {tender} ({buyer}) closes {closes}. Still short: {missing} (pledgers: "
           "{count}).")
AT_PRICE = N_("{amount} at {price}")


def reminders_job() -> None:
    """Scheduled: reminders before the deadline, and closing at it."""
    with jobs.transaction() as session:
        remind_and_close(session, jobs.now())


def remind_and_close(session: Session, now: datetime) -> tuple[int, int]:
    """Reminds pledgers and coordinators of tenders closing within REMIND_BEFORE (once), and
    closes the tenders past their deadline; returns (members reminded, tenders closed)."""
    reminded = 0
    for tender in tender_alerts.to_remind(session, now, REMIND_BEFORE):
        tender.reminded_at = now
        reminded += remind(session, tender)
    closed = tender_alerts.to_close(session, now)
    for tender in closed:
        tender.closed_at = now
    return reminded, len(closed)


def remind(session: Session, tender: Tender) -> int:
    """Reminds each pledger of their pledges and each coordinator of the state; how many were."""
    cluster = session.get(Cluster, tender.cluster_id)
    by_member: dict[int, list[Pledge]] = {}
    for item in tender.items:
        for pledge in item.pledges:
            if pledge.quantity > 0:  # a withdrawn pledge is no pledge
                by_member.setdefault(pledge.member_id, []).append(pledge)
    told = 0
    for pledges in by_member.values():
        member = pledges[0].member
        told += queue(session, member, pledger_text(session, tender, cluster, member, pledges))
    for coordinator in coordinators(session, tender.cluster_id):
        told += coordinator_notice(session, tender, cluster, coordinator, len(by_member))
    return told


def heading(tender: Tender, cluster: Cluster, lang: str | None) -> dict[str, str]:
    """The values every reminder starts with: the tender's code, its buyer, when it closes."""
    return {"tender": tender.code, "buyer": shorten(tender.buyer, SHORT_BUYER),
            "closes": format_when(tender.deadline, cluster.timezone, lang, swahili_hour=False)}


def queue(session: Session, member: Member, text: str) -> bool:
    return outbox.queue_to_member(session, member, text, kind="tender") is not None


def pledger_text(session: Session, tender: Tender, cluster: Cluster, member: Member,
                 pledges: list[Pledge]) -> str:
    """The reminder of the member's pledges, as many as fit two SMS."""
    lang = member.language
    first = pledges[0].item
    bid = keyword_word("bid", lang)
    values = {**heading(tender, cluster, lang),
              "again": f"{bid} {tenders.item_code(first)} "
                       f"{amount_label(pledges[0].quantity, first.unit, lang)}",
              "withdraw": f"{bid} {tenders.item_code(first)} 0"}
    lines = [pledge_line(session, tender, p, lang) for p in pledges]
    return most_that_fit(
        lambda shown, hidden: translate(lang, PLEDGER, pledged=", ".join(
            shown + ([f"+{hidden}"] if hidden else [])), **values), lines, least=1)


def pledge_line(session: Session, tender: Tender, pledge: Pledge, lang: str | None) -> str:
    """`omena 500kg at KES 110/kg`."""
    item = pledge.item
    product = shorten(product_label(session, item.product_id, lang, item.description),
                      SHORT_PRODUCT)
    amount = f"{product} {amount_label(pledge.quantity, item.unit, lang)}"
    if pledge.price is None:
        return amount
    price = f"{tender.currency or 'KES'} {number(pledge.price, lang)}/{unit_label(item.unit, lang)}"
    return translate(lang, AT_PRICE, amount=amount, price=price)


def coordinator_notice(session: Session, tender: Tender, cluster: Cluster, coordinator: Member,
                       pledgers: int) -> bool:
    """Tells a coordinator whether the pledges cover the tender, or what is still missing."""
    lang = coordinator.language
    values = {**heading(tender, cluster, lang), "count": pledgers}
    missing = [short_line(session, tender, item, short, lang)
               for item, short in shortfalls(tender) if short > 0]
    if not missing:
        return notify(session, coordinator, COVERED, kind="tender", **values)
    text = most_that_fit(
        lambda shown, hidden: translate(lang, SHORT, missing=", ".join(
            shown + ([f"+{hidden}"] if hidden else [])), **values), missing, least=1)
    return queue(session, coordinator, text)


def short_line(session: Session, tender: Tender, item: TenderItem, short: float,
               lang: str | None) -> str:
    """`omena 200kg`, led by the item's code when the tender has several."""
    product = shorten(product_label(session, item.product_id, lang, item.description),
                      SHORT_PRODUCT)
    line = f"{product} {amount_label(short, item.unit, lang)}"
    code = tenders.item_code(item)
    return line if code == tender.code else f"{code} {line}"


def shortfalls(tender: Tender) -> list[tuple[TenderItem, float]]:
    """Each pledgeable item with how much of it no pledge covers yet."""
    return [(item, item.quantity - tenders.covered(item)) for item in tenders.pledgeable(tender)]
