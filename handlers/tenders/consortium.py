"""The consortium of a tender: formed when pledges fill every item members can pledge (at
prices within the buyer's maximum); every pledger is then told who leads it, their share and
what comes next, reserves their place, and the cluster's coordinators get a short bid sheet.
After it is formed, a change that moves pledges in or out of the shares is told to those it
moves, and a withdrawal to the coordinators."""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.labels import shorten
from handlers.market.showing import amount_label, short_date
from handlers.notify import notify
from locales.i18n import N_, number
from storage import audit
from storage import products as catalog
from storage import tender_pledges as pledges
from storage.audit import Actor
from storage.models import Member, Product
from storage.skills import coordinators
from storage.tenders import EPSILON, Tender, TenderItem, ordered, pledgeable, standings

KIND = "tender"
SHORT_TITLE, SHORT_NAME, SHORT_PRODUCT, SHORT_ITEMS, SHORT_SHARES = 30, 30, 24, 90, 60

FORMED = N_("The consortium for {code} ({subject}) is formed! Lead: {lead}. Your share: {share}. "
            "Keep it ready to deliver; the coordinator sends the bid before {deadline} and "
            "tells you the outcome.")
FORMED_LEAD = N_("The consortium for {code} ({subject}) is formed, and you lead it. Your share: "
                 "{share}. The coordinator will contact you to prepare the bid before "
                 "{deadline}.")
FORMED_RESERVE = N_("The consortium for {code} ({subject}) is formed. Your pledge is reserve "
                    "number {rank}: we will tell you if a place opens.")
FORMED_COORDINATORS = N_("Consortium formed for {code} ({subject}): {count} members, {sheet}. "
                         "Lead: {lead}. Bid sheet: {show}, or the Tenders page of the "
                         "dashboard.")
SHARE_CHANGED = N_("Pledges for {code} changed: your share is now {share}.")
MOVED_OUT = N_("Pledges for {code} changed: your pledge is now reserve number {rank}.")
WITHDRAWN_MOVED = N_("{name} withdrew their pledge for {code}. Moved up from the reserves: "
                     "{people}.")
WITHDRAWN_SHORT = N_("{name} withdrew their pledge for {code}: it is now short by {short}.")
COVERED_AGAIN = N_("{name} pledged for {code}: the pledges cover it again. Lead: {lead}.")
LEAD_CHOSEN = N_("The coordinator chose {lead} to lead the consortium for {code}.")
LEAD_YOU = N_("You now lead the consortium for {code} ({subject}). The coordinator will contact "
              "you to prepare the bid before {deadline}.")


# --- Who leads, who holds what ------------------------------------------------------------------

def shares(tender: Tender) -> dict[int, list[tuple[TenderItem, float]]]:
    """member id -> the (item, share) they fill, for the members with a share."""
    found: dict[int, list[tuple[TenderItem, float]]] = {}
    for item in pledgeable(tender):
        for standing in standings(item):
            if standing.share > 0:
                found.setdefault(standing.pledge.member_id, []).append((item, standing.share))
    return found


def reserves(tender: Tender) -> dict[int, list[tuple[TenderItem, int]]]:
    """member id -> the (item, reserve rank) of their pledges that fill no share."""
    found: dict[int, list[tuple[TenderItem, int]]] = {}
    for item in pledgeable(tender):
        for standing in standings(item):
            if standing.rank is not None:
                found.setdefault(standing.pledge.member_id, []).append((item, standing.rank))
    return found


def lead_of(session: Session, tender: Tender) -> Member | None:
    """The lead a coordinator chose, while they hold a share; else the largest share (as a part
    of each item's need, so kilograms and litres compare), the earliest pledge on a tie."""
    held = shares(tender)
    if tender.lead_member_id in held:
        return session.get(Member, tender.lead_member_id)
    if not held:
        return None
    order = {}
    for item in pledgeable(tender):
        for index, pledge in enumerate(ordered(item)):
            order.setdefault(pledge.member_id, (pledge.pledged_at, index))
    weight = {member_id: sum(share / item.quantity for item, share in held[member_id])
              for member_id in held}
    best = max(held, key=lambda m: (round(weight[m], 9), _negated(order[m])))
    return session.get(Member, best)


def _negated(order: tuple[datetime, int]) -> tuple[float, int]:
    return -order[0].timestamp(), -order[1]


def share_label(session: Session, held: list[tuple[TenderItem, float]], lang: str) -> str:
    """`500kg omena`, or several items joined: `500kg omena, 20l milk` (cut to fit an SMS)."""
    return shorten(", ".join(f"{amount_label(share, item.unit, lang)} "
                             f"{item_name(session, item, lang)}" for item, share in held),
                   SHORT_SHARES)


def item_name(session: Session, item: TenderItem, lang: str | None) -> str:
    product = session.get(Product, item.product_id) if item.product_id else None
    name = catalog.display_name(product, lang or "en") if product else item.description
    return shorten(name, SHORT_PRODUCT)


def name_of(member: Member | None) -> str:
    return shorten(member.name or "-", SHORT_NAME) if member else "-"


def common(tender: Tender) -> dict:
    """Values every tender message may use."""
    return {"code": tender.code, "subject": shorten(tender.title, SHORT_TITLE),
            "deadline": short_date(tender.deadline)}


# --- After a pledge changed ---------------------------------------------------------------------

def after_change(session: Session, tender: Tender, before: dict, who: Member,
                 withdrawn: bool, now: datetime) -> None:
    """Forms the consortium when the pledges now cover the tender; once formed, tells those a
    change moved, and the coordinators of a withdrawal. `before`: pledges.snapshot taken
    before the change."""
    if tender.formed_at is None:
        if pledges.covered(tender):
            form(session, tender, now, who)
        return
    moved_up = tell_moved(session, tender, before, who)
    if withdrawn:
        tell_withdrawal(session, tender, who, moved_up)
    elif not covered_by(tender, before) and pledges.covered(tender):
        for coordinator in coordinators(session, tender.cluster_id):
            notify(session, coordinator, COVERED_AGAIN, kind=KIND, code=tender.code,
                   name=name_of(who), lead=name_of(lead_of(session, tender)))


def covered_by(tender: Tender, snapshot: dict) -> bool:
    """The shares of a pledges.snapshot filled every item's need."""
    return all(sum(share for (item_id, _), (share, _) in snapshot.items() if item_id == item.id)
               >= item.quantity - EPSILON for item in pledgeable(tender))


def form(session: Session, tender: Tender, now: datetime, who: Actor) -> None:
    """Marks the consortium formed and tells every pledger and the coordinators."""
    tender.formed_at = now
    lead = lead_of(session, tender)
    held, waiting = shares(tender), reserves(tender)
    for member_id in held:
        member = session.get(Member, member_id)
        msgid = FORMED_LEAD if lead and member_id == lead.id else FORMED
        notify(session, member, msgid, kind=KIND, lead=name_of(lead),
               share=share_label(session, held[member_id], member.language), **common(tender))
    for member_id, ranks in waiting.items():
        if member_id not in held:
            notify(session, session.get(Member, member_id), FORMED_RESERVE, kind=KIND,
                   rank=str(min(rank for _, rank in ranks)), **common(tender))
    for coordinator in coordinators(session, tender.cluster_id):
        notify(session, coordinator, FORMED_COORDINATORS, kind=KIND, count=str(len(held)),
               show=f"clusterbot tender show {tender.code}",
               lead=name_of(lead), sheet=items_summary(session, tender, coordinator.language),
               **common(tender))
    audit.record(session, action="tender.formed", actor=who,
                 cluster_id=tender.cluster_id, tender=tender.code, members=len(held),
                 lead=lead.id if lead else None)


def items_summary(session: Session, tender: Tender, lang: str | None) -> str:
    """`2,000kg omena (KES 118/kg)`: each item's need and its weighted price, cut to fit."""
    parts = []
    for item in pledgeable(tender):
        text = f"{amount_label(item.quantity, item.unit, lang)} {item_name(session, item, lang)}"
        price = pledges.weighted_price(item)
        if price is not None:
            text += f" ({tender.currency or ''} {number(round(price, 2), lang)}/{item.unit})"
        parts.append(text.replace("( ", "("))
    return shorten("; ".join(parts), SHORT_ITEMS)


def tell_moved(session: Session, tender: Tender, before: dict, who: Member) -> list[Member]:
    """Tells the other pledgers whose share a change made larger, smaller or a reserve;
    returns those whose share grew."""
    after = pledges.snapshot(tender)
    up, told = [], set()
    for (item_id, member_id), (share, rank) in after.items():
        was_share, _ = before.get((item_id, member_id), (0.0, None))
        if member_id == who.id or member_id in told or abs(share - was_share) <= EPSILON:
            continue
        told.add(member_id)
        member = session.get(Member, member_id)
        if share > was_share:
            up.append(member)
        if share > EPSILON:  # a larger or smaller share
            held = shares(tender).get(member_id, [])
            notify(session, member, SHARE_CHANGED, kind=KIND, code=tender.code,
                   share=share_label(session, held, member.language))
        elif rank is not None:
            notify(session, member, MOVED_OUT, kind=KIND, code=tender.code, rank=str(rank))
    return up


def tell_withdrawal(session: Session, tender: Tender, who: Member, moved_up: list[Member]) -> None:
    """Tells the coordinators who withdrew, and who moved up or how short the tender is."""
    short = [(item, pledges.still_open(item)) for item in pledgeable(tender)
             if pledges.still_open(item) > EPSILON]
    for coordinator in coordinators(session, tender.cluster_id):
        lang = coordinator.language
        if short:
            notify(session, coordinator, WITHDRAWN_SHORT, kind=KIND, code=tender.code,
                   name=name_of(who), short=share_label(session, short, lang))
        elif moved_up:
            notify(session, coordinator, WITHDRAWN_MOVED, kind=KIND, code=tender.code,
                   name=name_of(who), people=shorten(", ".join(name_of(m) for m in moved_up), 90))


# --- The coordinator's choice -------------------------------------------------------------------

def choose_lead(session: Session, tender: Tender, member: Member, actor: Actor) -> bool:
    """Makes `member` (who must hold a share of the tender) its consortium's lead; once the
    consortium is formed, its pledgers are told. False when they hold no share."""
    held = shares(tender)
    if member.id not in held:
        return False
    if tender.lead_member_id == member.id:
        return True
    tender.lead_member_id = member.id
    audit.record(session, action="tender.lead", actor=actor, cluster_id=tender.cluster_id,
                 tender=tender.code, member=member.id)
    if tender.formed_at is not None:
        for member_id in held:
            other = session.get(Member, member_id)
            if member_id == member.id:
                notify(session, other, LEAD_YOU, kind=KIND, **common(tender))
            else:
                notify(session, other, LEAD_CHOSEN, kind=KIND, code=tender.code,
                       lead=name_of(member))
    return True

