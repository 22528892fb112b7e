"""Tender alerts, reminders and the reserved-group question end to end: alerts and reminders go out
over signed Twilio SMS and Telegram in each member's language; a pledger on a reserved tender
answers the eligibility question by SMS numbers and by Telegram buttons."""
from datetime import datetime, timedelta, timezone

import pytest
from live import TelegramUser, sms_and_wait, sms_to, wait_for
from scenes import AMINA, JUMA, as_sms
from sqlalchemy import select

from handlers.budget import numbered
from handlers.tenders import eligibility
from handlers.tenders.alerts import send_alerts
from handlers.tenders.entry import add
from handlers.tenders.reminders import remind_and_close
from locales.i18n import keyword_word, translate
from storage import products
from storage.db import unit_of_work
from storage.models import Cluster, Member, MemberProduct, Membership
from storage.tenders import Pledge, Tender

BARAKA, OPTED_OUT = "+254722000010", "+254722000013"
TOMAS_TG, WANJIRU_TG = 4242, 4343


@pytest.fixture
def suppliers(app_url, factory):
    """Kisumu Fish: Juma (sw) and Amina (fr) by SMS, Tomás (pt) and Wanjiru (sw) on Telegram deal
    in omena; Baraka (en, SMS) coordinates and deals in tilapia; Akinyi deals in omena but opted
    out."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        for phone, telegram_id, name, language, product, opted_out in (
                (JUMA, None, "Juma", "sw", "omena", False),
                (AMINA, None, "Amina", "fr", "omena", False),
                (None, TOMAS_TG, "Tomás", "pt", "omena", False),
                (None, WANJIRU_TG, "Wanjiru", "sw", "omena", False),
                (BARAKA, None, "Baraka", "en", "tilapia", False),
                (OPTED_OUT, None, "Akinyi", "sw", "omena", True)):
            member = Member(phone=phone, telegram_id=telegram_id, name=name, language=language,
                            language_chosen=True, registered=True, opted_out=opted_out)
            member.memberships.append(Membership(cluster_id=cluster.id, role="fisher"))
            if name == "Baraka":
                member.memberships.append(Membership(cluster_id=cluster.id, role="coordinator"))
            member.products.append(MemberProduct(
                product_id=products.by_slug(session, product).id, raw_name=product))
            session.add(member)
    return app_url


def new_tender(factory, deadline, **fields) -> str:
    given = {"buyer": "Kisumu County Schools", "title": "Dried fish for school meals",
             "product": "omena", "quantity": "2t", "deadline": deadline,
             "max_price": "150/kg", "deliver_to": "Kisumu", **fields}
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        return add(session, cluster, "cli", given).code


def in_days(days: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


def deadline_in(days: int) -> str:
    """A deadline `days` from now, as the CLI takes it (that day's end in Nairobi)."""
    return in_days(days).date().isoformat()


def alert(factory) -> int:
    with unit_of_work(factory) as session:
        return send_alerts(session, datetime.now(timezone.utc))


def remind(factory, now) -> tuple[int, int]:
    with unit_of_work(factory) as session:
        return remind_and_close(session, now)


def texts_with(messages, code):
    return [m for m in messages if code in m]


def test_alerts_reach_suppliers_by_sms_and_telegram_once_in_their_language(
        twilio, telegram_api, suppliers, factory):
    code = new_tender(factory, deadline_in(10))
    assert alert(factory) == 4
    assert alert(factory) == 0
    [juma] = wait_for(lambda: texts_with(sms_to(twilio, JUMA), code))
    assert juma.startswith(f"Zabuni {code}: Kisumu County Schools ananunua dagaa 2,000kg")
    assert f"{keyword_word('bid', 'sw')} {code} 200kg 135/kg" in juma
    [amina] = wait_for(lambda: texts_with(sms_to(twilio, AMINA), code))
    assert amina.startswith(f"Appel d'offres {code} : Kisumu County Schools achète sardine")
    tomas = TelegramUser(telegram_api, suppliers, TOMAS_TG)
    wanjiru = TelegramUser(telegram_api, suppliers, WANJIRU_TG)
    [to_tomas] = wait_for(lambda: [m.text for m in tomas.received() if code in m.text])
    assert to_tomas.startswith(f"Concurso {code}: Kisumu County Schools compra sardinha")
    assert f"{keyword_word('bid', 'pt')} {code} 200kg 135/kg" in to_tomas
    [to_wanjiru] = wait_for(lambda: [m.text for m in wanjiru.received() if code in m.text])
    assert to_wanjiru == juma
    assert texts_with(sms_to(twilio, BARAKA), code) == []  # tilapia: not a supplier
    assert texts_with(sms_to(twilio, OPTED_OUT), code) == []


def test_reminders_reach_pledgers_and_the_coordinator_once_then_the_tender_closes(
        twilio, telegram_api, suppliers, factory):
    code = new_tender(factory, deadline_in(10))
    with unit_of_work(factory) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        for phone, telegram_id, quantity in ((JUMA, None, 1500), (None, TOMAS_TG, 300)):
            member = session.scalar(select(Member).where(
                Member.phone == phone if phone else Member.telegram_id == telegram_id))
            found.items[0].pledges.append(Pledge(member_id=member.id, quantity=quantity))
        deadline = found.deadline
    assert remind(factory, deadline - timedelta(days=3)) == (0, 0)
    assert remind(factory, deadline - timedelta(hours=47)) == (3, 0)
    assert remind(factory, deadline - timedelta(hours=46)) == (0, 0)
    [juma] = wait_for(lambda: texts_with(sms_to(twilio, JUMA), code))
    assert juma.startswith(f"Kumbusho: zabuni {code} (Kisumu County Schools) inafungwa")
    assert "Uliahidi dagaa 1,500kg." in juma
    tomas = TelegramUser(telegram_api, suppliers, TOMAS_TG)
    [to_tomas] = wait_for(lambda: [m.text for m in tomas.received() if code in m.text])
    assert to_tomas.startswith(f"Lembrete: o concurso {code}") and "300kg" in to_tomas
    [baraka] = wait_for(lambda: texts_with(sms_to(twilio, BARAKA), code))
    assert baraka.endswith("Still short: omena 200kg (pledgers: 2).")
    assert texts_with(sms_to(twilio, AMINA), code) == []  # no pledge, no reminder
    assert remind(factory, deadline) == (0, 1)
    [bid] = sms_and_wait(twilio, suppliers, JUMA, f"{keyword_word('bid', 'sw')} {code} 1600kg")
    assert code in bid and "1,600kg" not in bid  # closed: the pledge is not changed
    with unit_of_work(factory) as session:
        assert [p.quantity for p in session.scalars(select(Pledge).order_by(Pledge.id))] == [
            1500, 300]


@pytest.mark.parametrize(("phone", "lang"), [(JUMA, "sw"), (AMINA, "fr"), (BARAKA, "en")])
def test_pledger_on_a_reserved_tender_answers_the_eligibility_question_by_sms(
        twilio, suppliers, factory, phone, lang):
    code = new_tender(factory, deadline_in(10), reserved="women")
    replies = sms_and_wait(twilio, suppliers, phone, f"{keyword_word('bid', lang)} {code} 500kg",
                           replies=2)
    assert replies[-1] == as_sms(numbered(translate(lang, eligibility.CONSENT), [
        translate(lang, eligibility.YES), translate(lang, eligibility.PREFER_NOT)]))
    for answer in ("1", "2", "1"):  # consent; youth: no; women: yes
        sms_and_wait(twilio, suppliers, phone, answer)
    [done] = sms_and_wait(twilio, suppliers, phone, "2")  # disability: no
    assert done == as_sms(translate(lang, eligibility.RECORDED, groups=translate(
        lang, eligibility.GROUPS["women"])))
    with unit_of_work(factory) as session:
        assert session.scalar(select(Member).where(Member.phone == phone)).reserved_groups == [
            "women"]


@pytest.mark.parametrize(("user_id", "lang"), [(TOMAS_TG, "pt"), (WANJIRU_TG, "sw")])
def test_pledger_on_a_reserved_tender_answers_with_telegram_buttons(
        telegram_api, suppliers, factory, user_id, lang):
    code = new_tender(factory, deadline_in(10), reserved="youth; disability")
    user = TelegramUser(telegram_api, suppliers, user_id)
    replies = user.send(f"{keyword_word('bid', lang)} {code} 300kg", replies=2)
    assert replies[-1].text == translate(lang, eligibility.CONSENT)
    user.press(translate(lang, eligibility.YES))
    user.press(translate(lang, eligibility.YES))  # youth
    user.press(translate(lang, eligibility.NO))  # women
    [done] = user.press(translate(lang, eligibility.YES))  # disability
    assert done.text == translate(lang, eligibility.RECORDED, groups=", ".join(
        translate(lang, eligibility.GROUPS[g]) for g in ("youth", "disability")))
    with unit_of_work(factory) as session:
        member = session.scalar(select(Member).where(Member.telegram_id == user_id))
        assert member.reserved_groups == ["youth", "disability"]


def test_prefer_not_to_say_by_telegram_keeps_nothing(telegram_api, suppliers, factory):
    code = new_tender(factory, deadline_in(10), reserved="youth")
    user = TelegramUser(telegram_api, suppliers, TOMAS_TG)
    user.send(f"{keyword_word('bid', 'pt')} {code} 300kg", replies=2)
    [done] = user.press(translate("pt", eligibility.PREFER_NOT))
    assert done.text == translate("pt", eligibility.NOTHING_KEPT)
    with unit_of_work(factory) as session:
        assert session.scalar(select(Member).where(
            Member.telegram_id == TOMAS_TG)).reserved_groups == []

