"""Market prices end to end: signed Twilio webhooks and Telegram updates into the running app,
replies and price alerts out through the real SDKs to the doubles."""
from doubles.telegram import command_update
from live import SECRET, sms, sms_to, wait_for
from scenes import GRACE, JUMA
from sqlalchemy import select

from storage import members
from storage.db import unit_of_work
from storage.models import Place, Product
from storage.prices import OfficialPrice

GRACE_TG = 4244
TOMAS_TG = 4243


def join(factory, cluster, phone=None, telegram_id=None, language="en", coordinator=False):
    """A registered member of the cluster at Kisumu who deals in tilapia."""
    with unit_of_work(factory) as session:
        member = members.get_or_create(session, phone=phone, telegram_id=telegram_id)
        kisumu = session.scalar(select(Place).where(Place.name == "Kisumu"))
        tilapia = session.scalar(select(Product.id).where(Product.slug == "tilapia"))
        member.name, member.registered = "Member", True
        member.language, member.language_chosen = language, True
        member.place_id, member.place_name = kisumu.id, kisumu.name
        members.add_role(session, member, cluster.id, "trader")
        if coordinator:
            members.add_role(session, member, cluster.id, "coordinator")
        members.set_products(member, [(tilapia, "tilapia")])



def test_coordinator_sets_prices_by_sms_and_members_are_alerted(twilio, app_url, factory, kisumu):
    join(factory, kisumu, GRACE, coordinator=True)
    join(factory, kisumu, JUMA, language="sw")
    sms(twilio, app_url, GRACE, "PRICE SET tilapia 300/kg Kisumu")
    [saved] = wait_for(lambda: sms_to(twilio, GRACE))
    assert saved.startswith("Official price saved: tilapia 300 KES/kg, Kisumu, ")
    sms(twilio, app_url, GRACE, "PRICE SET tilapia 360/kg Kisumu")
    [alert] = wait_for(lambda: sms_to(twilio, JUMA))
    assert alert.startswith("Tahadhari ya bei: sato Kisumu sasa ni 360 KES/kg, +20% tangu ")
    sms(twilio, app_url, JUMA, "BEI sato")
    answer = wait_for(lambda: sms_to(twilio, JUMA)[1:])[0]
    assert answer.startswith("Bei za sato, KES/kg:\nKisumu 360 (")
    with unit_of_work(factory) as session:
        assert [p.amount for p in session.scalars(select(OfficialPrice))] == [300.0, 360.0]


def telegram(api, app_url, user_id, update_id, text):
    """Sends `text` as a Telegram user and returns the bot's answer to it."""
    before = len([m for m in api.sent if int(m.chat_id) == user_id])
    response = api.post_update(app_url, command_update(update_id, user_id, text), SECRET)
    assert response.status_code == 200
    return wait_for(lambda: [m for m in api.sent if int(m.chat_id) == user_id][before:])[0]


def test_coordinator_sets_and_member_asks_prices_on_telegram(telegram_api, app_url, factory,
                                                            kisumu):
    join(factory, kisumu, telegram_id=GRACE_TG, coordinator=True)
    join(factory, kisumu, telegram_id=TOMAS_TG, language="pt")
    saved = telegram(telegram_api, app_url, GRACE_TG, 1, "/price set tilapia 300/kg Kisumu")
    assert saved.text.startswith("Official price saved: tilapia 300 KES/kg, Kisumu, ")
    reply = telegram(telegram_api, app_url, TOMAS_TG, 2, "/price tilapia")
    assert reply.text.startswith("Preços de tilápia, KES/kg:\nKisumu 300 (")  # accents kept
