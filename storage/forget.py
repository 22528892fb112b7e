"""DELETE: a member's personal data removed from every table, and what stays for counts kept
without it.

Kept, anonymised: the member's row (an id and when they left: nothing else), their meeting
answers and reported deals (no names), the prices they reported (unlinked from them), and what
they did as a coordinator for the cluster (broadcasts, meetings, official prices; the link to
them removed). Removed: their name, phone, Telegram id and username, place and products, their
roles, open question, skills needs, the texts and addresses of every message to or from them,
their listings' words and places, their place in the directory (listed, business name,
capacity), their directory searches and the introductions asked from a search on either side,
the groups they declared for reserved tenders, their pledges to tenders still open and which
tenders they were told of, their survey answers (a respondent who withdraws is no longer
counted: research consent is withdrawn with them), and any message or audit entry that names
them.
"""
import re
from datetime import datetime, timezone

import phonenumbers
from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from storage import members, outbox
from storage.broadcasts import Broadcast
from storage.directory import DirectoryIntroduction, DirectorySearch
from storage.market import Listing
from storage.meetings import Meeting
from storage.models import AuditEntry, InboundMessage, Member, OutboundMessage
from storage.prices import OfficialPrice, PriceReport
from storage.skills import SkillNeed
from storage.surveys import Respondent
from storage.tenders import Pledge, Tender, TenderAlert, TenderItem

GONE = "(deleted member)"


def forget_member(session: Session, member: Member) -> None:
    """Removes everything that identifies the member, in the caller's transaction. A reply
    queued after this (the goodbye) is scrubbed once sent: `scrub_sent_to_deleted`."""
    mentions = Mentions.of(member)
    addresses = [member.phone] if member.phone else []
    if member.telegram_id:
        addresses += [str(member.telegram_id), f"tg:{member.telegram_id}"]
    forget_messages(session, member.id, addresses)
    forget_mentions(session, mentions)
    forget_listings(session, member.id)
    forget_directory(session, member.id)
    forget_tenders(session, member.id)
    session.execute(delete(SkillNeed).where(SkillNeed.member_id == member.id))
    session.execute(delete(Respondent).where(Respondent.member_id == member.id))  # answers cascade
    unlink(session, member.id)
    forget_audit(session, member.id, mentions)
    members.anonymise(session, member)


class Mentions:
    """How a text can name the member: their phone (with or without the country code), Telegram
    id or username, or their name or business name as a word."""

    def __init__(self, needles: list[str], pattern: re.Pattern | None):
        self.needles, self.pattern = needles, pattern

    @classmethod
    def of(cls, member: Member) -> "Mentions":
        needles, words = [], []
        if member.phone:
            national = str(phonenumbers.parse(member.phone).national_number)
            needles.append(national)  # every way of writing the number has these digits
            words += [member.phone.lstrip("+"), national, "0" + national]
        for word in (str(member.telegram_id or ""), member.telegram_username or ""):
            if word:
                needles.append(word)
                words.append(re.escape(word))
        for name in (member.name, member.business_name):  # FIND's results show the latter
            if name and len(name.strip()) >= 3:
                needles.append(name.strip())
                words.append(re.escape(name.strip()))
        pattern = (re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])", re.IGNORECASE)
                   if words else None)
        return cls(needles, pattern)

    def where(self, column):
        """A cheap SQL filter for rows that may name the member (`found_in` decides)."""
        return or_(*(column.icontains(needle, autoescape=True) for needle in self.needles))

    def found_in(self, text: str | None) -> bool:
        return bool(text and self.pattern and self.pattern.search(text))


def forget_messages(session: Session, member_id: int, addresses: list[str]) -> None:
    """Empties the member's messages both ways; what was still to be sent to them is cancelled."""
    mine_out = or_(OutboundMessage.member_id == member_id, OutboundMessage.address.in_(addresses))
    cancel_pending(session, mine_out, "the member deleted their data")
    session.execute(update(OutboundMessage).where(mine_out)
                    .values(text="", address="", choices=[]))
    mine_in = or_(InboundMessage.member_id == member_id, InboundMessage.address.in_(addresses))
    session.execute(update(InboundMessage).where(mine_in)
                    .values(text="", choice=None, address="", extra={}))


def forget_mentions(session: Session, mentions: Mentions) -> None:
    """Empties other people's messages that name the member (an introduction gave their phone,
    a list of who comes to a meeting their name); such a message not yet sent is not sent."""
    if not mentions.needles:
        return
    for model in (OutboundMessage, InboundMessage):
        rows = session.execute(select(model.id, model.text).where(mentions.where(model.text)))
        ids = [row.id for row in rows if mentions.found_in(row.text)]
        if not ids:
            continue
        if model is OutboundMessage:
            cancel_pending(session, OutboundMessage.id.in_(ids), "names a member who deleted their data")
        session.execute(update(model).where(model.id.in_(ids)).values(text=""))


def cancel_pending(session: Session, which, why: str) -> None:
    session.execute(update(OutboundMessage).where(which, outbox.pending())
                    .values(status="cancelled", error=why, lease_until=None))


def forget_listings(session: Session, member_id: int) -> None:
    """Closes the member's offers and requests and drops their words and places; quantities and
    prices stay for the cluster's trade figures."""
    now = datetime.now(timezone.utc)
    session.execute(update(Listing).where(Listing.member_id == member_id, Listing.status == "open")
                    .values(status="closed", closed_at=now))
    session.execute(update(Listing).where(Listing.member_id == member_id).values(
        product_name="", product_key="", place_id=None, place_name="", place_key="",
        latitude=None, longitude=None))


def forget_tenders(session: Session, member_id: int) -> None:
    """Withdraws the member's pledges to tenders still taking them (a consortium cannot count on
    someone who left) and forgets which tenders they were told of; pledges to closed tenders
    stay, on the emptied member row, for the bid sheets of record."""
    still_open = select(TenderItem.id).join(Tender).where(Tender.closed_at.is_(None))
    session.execute(delete(Pledge).where(Pledge.member_id == member_id,
                                         Pledge.item_id.in_(still_open)))
    session.execute(delete(TenderAlert).where(TenderAlert.member_id == member_id))


def forget_directory(session: Session, member_id: int) -> None:
    """Removes what the member looked for in the directory and the introductions they asked
    for or were asked about."""
    session.execute(delete(DirectorySearch).where(DirectorySearch.member_id == member_id))
    session.execute(delete(DirectoryIntroduction).where(or_(
        DirectoryIntroduction.searcher_id == member_id,
        DirectoryIntroduction.member_id == member_id)))


def unlink(session: Session, member_id: int) -> None:
    """What the member did for the cluster stays, no longer tied to them."""
    for column in (Broadcast.coordinator_id, Meeting.organiser_id, OfficialPrice.member_id,
                   PriceReport.member_id, PriceReport.decided_by):
        session.execute(update(column.class_).where(column == member_id).values({column.key: None}))


def forget_audit(session: Session, member_id: int, mentions: Mentions) -> None:
    """Audit entries keep what was done and when; who did it, when it was the member, and any
    detail naming them become `(deleted member)`."""
    query = select(AuditEntry).where(or_(AuditEntry.actor_member_id == member_id,
                                         *([mentions.where(cast(AuditEntry.details, Text))]
                                           if mentions.needles else [])))
    for entry in session.scalars(query):
        if entry.actor_member_id == member_id or mentions.found_in(entry.actor):
            entry.actor = GONE
        entry.details = {key: GONE if mentions.found_in(str(value)) else value
                         for key, value in entry.details.items()}


def scrub_sent_to_deleted(session: Session, message_ids: list[int]) -> None:
    """Empties messages to members who deleted their data once they are no longer pending: the
    goodbye is queued after the member is forgotten, and needs their address until it is sent."""
    if not message_ids:
        return
    deleted = select(Member.id).where(Member.deleted_at.is_not(None))
    session.execute(update(OutboundMessage).where(
        OutboundMessage.id.in_(message_ids), ~outbox.pending(),
        OutboundMessage.member_id.in_(deleted)).values(text="", address="", choices=[]))
