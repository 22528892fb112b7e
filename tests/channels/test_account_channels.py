"""DELETE end to end: after a member's confirmation, no table holds their phone, Telegram id,
name or anything they wrote; the goodbye is sent, then scrubbed; counts keep what they need."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from doubles.telegram import message_update
from live import TelegramUser, sms_and_wait, sms_to, wait_for
from scenes import AMINA, GRACE, add_member
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot import cli
from bot.settings import get_settings
from locales.i18n import translate
from storage.db import engine_for, unit_of_work
from storage.market import Listing, MarketMatch
from storage.models import Cluster, Member, OutboundMessage
from storage.schema import metadata

JUMA = "+254722000002"
JUMA_TG, JUMA_TG_NAME = 731_904_466, "juma_boats"
REGISTRATION = ["JIUNGE", "Juma Odhiambo", "1", "Nyamware landing", "sato, dagaa", "1"]
WRITTEN = ["Odhiambo", "Nyamware", "kurekebisha injini za boti", "siri-yangu"]


@pytest.fixture
def cluster(app_url, factory):
    """Kisumu Fish, with Amina buying (French) and Grace coordinating."""
    with unit_of_work(factory) as session:
        kisumu = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina", place="Kisumu")
        add_member(session, GRACE, "fish_processor", kisumu, "en", "Grace", coordinator=True)
    return app_url


def everything_stored(factory) -> str:
    """Every value of every row of every table, as one text to search."""
    values = []
    with engine_for(str(factory.kw["bind"].url)).connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(table.select()):
                values += [json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                           else str(v) for v in row]
    return "\n".join(values).casefold()


def juma_leaves_a_trail(twilio, telegram_api, url, factory):
    """Juma registers by SMS, links Telegram, states a need, sells, is introduced to Amina, is
    made a coordinator by the operator, and sets a price: his data is everywhere."""
    for text in REGISTRATION:
        sms_and_wait(twilio, url, JUMA, text)
    with unit_of_work(factory) as session:
        session.scalar(select(Member).where(Member.phone == JUMA)).telegram_id = JUMA_TG
    telegram = TelegramUser(telegram_api, url, JUMA_TG)  # his first message shows his @name
    assert telegram.post(message_update(next(telegram.update_ids), JUMA_TG, "MSAADA",
                                        username=JUMA_TG_NAME)).status_code == 200
    sms_and_wait(twilio, url, JUMA, "HITAJI kurekebisha injini za boti")
    sms_and_wait(twilio, url, JUMA, "habari siri-yangu")
    sms_and_wait(twilio, url, JUMA, "UZA sato 100kg 120/kg Kisumu")
    sms_and_wait(twilio, url, AMINA, "ACHETER tilapia 80kg max 130/kg Kisumu", replies=2)
    code = wait_for(lambda: codes(factory))[0]
    sms_and_wait(twilio, url, AMINA, f"OUI {code}")
    sms_and_wait(twilio, url, JUMA, f"NDIYO {code}")
    wait_for(lambda: [t for t in sms_to(twilio, AMINA) if JUMA in t])  # Amina has his number
    get_settings.cache_clear()
    added = CliRunner().invoke(cli.app, ["coordinator", "add", JUMA, "--cluster", "kisumu-fish"])
    assert added.exit_code == 0, added.output
    sms_and_wait(twilio, url, JUMA, "BEI SET sato 130/kg Kisumu")


def codes(factory):
    with unit_of_work(factory) as session:
        return list(session.scalars(select(MarketMatch.code)))


def test_delete_leaves_no_phone_name_or_words_anywhere(twilio, telegram_api, cluster, factory):
    juma_leaves_a_trail(twilio, telegram_api, cluster, factory)
    wait_for(lambda: JUMA_TG_NAME in everything_stored(factory))
    private = [JUMA, JUMA[1:], str(JUMA_TG), JUMA_TG_NAME, *WRITTEN]
    before = everything_stored(factory)
    assert all(p.casefold() in before for p in private)  # the scene did leave them

    sms_and_wait(twilio, cluster, JUMA, "FUTA")
    [goodbye] = sms_and_wait(twilio, cluster, JUMA, "1")

    assert goodbye == translate("sw", "Your data has been deleted. Goodbye.")
    wait_for(lambda: not any(p.casefold() in everything_stored(factory) for p in private))
    with unit_of_work(factory) as session:
        gone = session.scalar(select(Member).where(Member.deleted_at.is_not(None)))
        assert (gone.name, gone.phone, gone.telegram_id, gone.opted_out) == (None, None, None, True)
        [listing] = session.scalars(select(Listing).where(Listing.member_id == gone.id))
        assert (listing.status, listing.quantity, listing.price) == ("closed", 100, 120)
        assert session.scalar(select(func.count()).select_from(MarketMatch)) == 1  # for counts


def test_delete_cancels_messages_not_yet_sent_that_name_the_member(chat, factory, kisumu):
    """A broadcast still queued for him, and a message to Amina quoting his number, wait for
    tomorrow; he deletes his data today (in the terminal): neither will be sent."""
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    with unit_of_work(factory) as session:
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Odhiambo")
        session.add_all([
            OutboundMessage(channel="sms", address=JUMA, member_id=juma.id, text="Meeting soon",
                            kind="broadcast", not_before=tomorrow),
            OutboundMessage(channel="sms", address=AMINA, text=f"Vendeur Juma Odhiambo : {JUMA}",
                            kind="market", not_before=tomorrow)])
    chat(JUMA).send("FUTA")
    chat(JUMA).send("1")
    with unit_of_work(factory) as session:
        queued = session.execute(select(OutboundMessage.status, OutboundMessage.text)
                                 .where(OutboundMessage.kind.in_(["broadcast", "market"]))).all()
    assert queued == [("cancelled", ""), ("cancelled", "")]
