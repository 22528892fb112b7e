"""Introductions: YES or NO to a match (through handlers.answers); when both sides say YES, each
gets the other's name, phone and Telegram name."""
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from handlers.market.matchmaking import notify_text
from handlers.market.showing import describe
from handlers.turn import Invitation, Turn
from locales.i18n import N_, keyword_word, translate
from storage import market
from storage.market import MarketMatch
from storage.models import Member

ANSWER_WITHIN = timedelta(days=14)


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
