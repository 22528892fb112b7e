"""The market's scheduled jobs: reminders of listings that end tomorrow, expiry of those past
their end, and the follow-ups that ask whether introductions led to deals."""
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.labels import product_label
from handlers.market.deals import follow_up
from handlers.notify import notify
from locales.i18n import N_, keyword_word
from storage import jobs, market

REMIND_BEFORE = timedelta(days=1)


def listings_job() -> None:
    """Scheduled: listing reminders and expiry."""
    with jobs.transaction() as session:
        remind_and_expire(session, jobs.now())


def follow_up_job() -> None:
    """Scheduled: deal follow-ups."""
    with jobs.transaction() as session:
        follow_up(session, jobs.now())


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
