"""Nothing accepted is left unanswered, and answers do not wait behind a broadcast."""
from collections import Counter

import pytest
from doubles.server import serve
from live import sms, sms_to, wait_for
from scenes import JUMA, add_member
from sqlalchemy import insert, select, text

from bot.app import create_app
from locales.i18n import translate
from storage import outbox
from storage.db import engine_for, unit_of_work
from storage.models import Cluster, InboundMessage, Member

FISHERS = [f"+2547440{i:05d}" for i in range(5)]


def rename(factory, table, to):
    with engine_for(str(factory.kw["bind"].url)).begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))


def test_database_failing_mid_handling_then_every_message_is_answered(twilio, app_url, factory,
                                                                     caplog):
    """Five fishers write while the database fails every handling; when it works again each of
    them gets the answer (not an apology), with no restart. The log has a line per failed try and
    a traceback only for the first of a kind of error."""
    rename(factory, "conversations", "conversations_away")
    try:
        for phone in FISHERS:
            sms(twilio, app_url, phone, "JOIN")
        wait_for(lambda: failed_attempts(factory) >= len(FISHERS))
    finally:
        rename(factory, "conversations_away", "conversations")
    wait_for(lambda: all(sms_to(twilio, phone) for phone in FISHERS), timeout=20)
    assert [sms_to(twilio, phone) for phone in FISHERS] == [
        [translate("en", "What is your name?")]] * len(FISHERS)
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) >= failed_attempts(factory)
    tracebacks = Counter(message.splitlines()[-1] for message in failures if "\n" in message)
    assert all(count == 1 for count in tracebacks.values())


def failed_attempts(factory) -> int:
    with unit_of_work(factory) as session:
        return sum(session.scalars(select(InboundMessage.attempts)))


@pytest.fixture
def slow_sms(channel_settings, factory, kisumu):
    """The app sending 4 SMS a second (a real number's pace is 1)."""
    with serve(create_app(channel_settings.model_copy(update={"sms_mps": 4}))) as url:
        yield url


def test_answer_overtakes_a_broadcast_being_sent(twilio, slow_sms, factory):
    """200 members are being sent a broadcast at 4 a second (50 s); Juma's HELP is answered
    before the next few broadcast messages, not after them."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster))
        add_member(session, JUMA, "fisher", cluster, "en", "Juma")
        session.execute(insert(Member), [{"phone": f"+2547330{i:05d}"} for i in range(200)])
        outbox.queue_to_members(session, select(Member.id).where(Member.phone != JUMA),
                                "Meeting on Friday 10:00 at Dunga Beach")
    wait_for(lambda: len(twilio.sent) >= 8)
    asked = len(twilio.sent)
    sms(twilio, slow_sms, JUMA, "HELP")
    wait_for(lambda: sms_to(twilio, JUMA))
    position = [m.to for m in twilio.sent].index(JUMA)
    assert position - asked <= 4  # within a second at 4 a second: before, 40 to 200 went first
    assert len(twilio.sent) < 100  # the broadcast was still going
