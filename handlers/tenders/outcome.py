"""A tender's outcome as the coordinators learn it from the buyer: won (all of it, or a part)
or lost. Every member who pledged is told in their language; a won quantity is split into
delivery shares in pledge order (first come, first to deliver); the tender stops taking
pledges."""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.labels import shorten
from handlers.market.showing import amount_label
from handlers.notify import notify
from handlers.tenders import consortium
from handlers.tenders.entry import named, pledge_label, pledges_by_member
from locales.i18n import N_
from storage import audit
from storage.audit import Actor
from storage.models import Member, utcnow
from storage.tenders import Pledge, Tender, TenderItem, in_and_reserves, pledgeable

SHORT_NAME = 24

WON = N_("Good news: tender {code} ({title}) was won! You deliver {share}. {lead} leads the "
         "consortium and will contact you about delivery.")
WON_LEAD = N_("Good news: tender {code} ({title}) was won! You lead the consortium: you deliver "
              "{share} and agree the deliveries with the others.")
WON_NOT_NEEDED = N_("Tender {code} ({title}) was won for {won}: your pledge of {pledged} is not "
                    "needed this time. Thank you.")
LOST = N_("Tender {code} ({title}) was not won this time. Thank you for your pledge of {pledged}.")

ALREADY = N_("The outcome of this tender is already recorded.")
QUANTITY_BAD = N_("The quantity won must be more than 0 and at most the tender's quantity.")
QUANTITY_ONE_ITEM = N_("A quantity won can only be given for a tender of one item.")
NOTHING_PLEDGEABLE = N_("This tender has no item members can pledge.")


class OutcomeError(ValueError):
    """The outcome cannot be recorded: `msgid` says why."""

    def __init__(self, msgid: str):
        super().__init__(msgid)
        self.msgid = msgid


def record(session: Session, tender: Tender, actor: Actor, won: bool,
           quantity: float | None = None, now: datetime | None = None) -> int:
    """Records the outcome: won (`quantity` of a one-item tender, else all of it) or lost.
    A won tender's quantities become delivery shares in pledge order. The tender is closed;
    every pledger told; audited `tender.outcome`. How many members were told; OutcomeError
    when it cannot be recorded (nothing written then)."""
    now = now or utcnow()
    if tender.outcome is not None:
        raise OutcomeError(ALREADY)
    items = pledgeable(tender)
    if not items:
        raise OutcomeError(NOTHING_PLEDGEABLE)
    if quantity is not None and won:
        if len(items) != 1:
            raise OutcomeError(QUANTITY_ONE_ITEM)
        if not 0 < quantity <= items[0].quantity:
            raise OutcomeError(QUANTITY_BAD)
    wins = {item.id: (quantity if quantity is not None else item.quantity) if won else 0.0
            for item in items}
    for item in items:
        share_out(item, wins[item.id] if won else None)
    tender.outcome = "won" if won else "lost"
    tender.won_quantity = sum(wins.values()) if won else None
    tender.outcome_at = now
    tender.closed_at = tender.closed_at or now
    session.flush()
    told = tell(session, tender, won, wins)
    audit.record(session, action="tender.outcome", actor=actor, cluster_id=tender.cluster_id,
                 tender_id=tender.id, code=tender.code, outcome=tender.outcome,
                 won_quantity=tender.won_quantity, told=told)
    return told


def share_out(item: TenderItem, won: float | None) -> None:
    """Each pledge's delivery share of `won` (None: lost, no shares): in pledge order, the
    consortium's pledges first, then the reserves, each up to what it pledged."""
    taken, reserves = in_and_reserves(item)
    left = won or 0.0
    for pledge in taken + reserves:
        share = min(pledge.quantity, left) if won is not None else None
        pledge.delivery_share = share
        left -= share or 0.0
    for pledge in item.pledges:
        if pledge not in taken and pledge not in reserves:
            pledge.delivery_share = 0.0 if won is not None else None


def delivery_lead(session: Session, tender: Tender) -> Member | None:
    """The consortium's lead (as its members were told), while they deliver a share of what was
    won; else whoever delivers the most of it, the earliest pledge on a tie."""
    lead = consortium.lead_of(session, tender)
    delivered: dict[int, float] = {}
    members: dict[int, Member] = {}
    for item in pledgeable(tender):
        for pledge in in_and_reserves(item)[0] + in_and_reserves(item)[1]:
            if pledge.delivery_share:
                delivered[pledge.member_id] = (delivered.get(pledge.member_id, 0.0)
                                               + pledge.delivery_share / item.quantity)
                members.setdefault(pledge.member_id, pledge.member)
    if lead is None or lead.id in delivered or not delivered:
        return lead
    order = list(members)  # the first pledge of each, item by item
    return members[max(delivered, key=lambda m: (round(delivered[m], 9), -order.index(m)))]


def tell(session: Session, tender: Tender, won: bool, wins: dict[int, float]) -> int:
    """Tells each pledger the outcome and their share, in their language."""
    lead = delivery_lead(session, tender) if won else None
    told = 0
    for member, pledges in pledges_by_member(tender).items():
        lang = member.language
        values = {**named(tender), "pledged": pledge_label(session, pledges, lang)}
        delivering = [p for p in pledges if p.delivery_share]
        if not won:
            msgid = LOST
        elif delivering:
            msgid = WON_LEAD if lead is not None and lead.id == member.id else WON
            values["share"] = pledge_label(session, delivering, lang,
                                           quantity=lambda p: p.delivery_share)
            values["lead"] = shorten(lead.name or "-", SHORT_NAME) if lead else "-"
        else:
            msgid = WON_NOT_NEEDED
            values["won"] = won_label(tender, pledges, wins, lang)
        told += notify(session, member, msgid, kind="tender", **values)
    return told


def won_label(tender: Tender, pledges: list[Pledge], wins: dict[int, float], lang) -> str:
    """What was won of the items the member pledged: `1,500kg`."""
    items = {p.item_id: p.item for p in pledges}
    return ", ".join(amount_label(wins.get(item.id, 0.0), item.unit, lang)
                     for item in items.values())
