"""Skills needs end to end: members ask by SMS, Grace is told and plans a training on Telegram,
members are invited by SMS and answer, through the real webhooks and SDKs."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from live import TelegramUser, sms, sms_to, wait_for
from scenes import AMINA, GRACE, JUMA

from handlers import skills as skill_handlers
from handlers.budget import SMS, render
from locales.i18n import translate
from storage import members
from storage import skills as store
from storage.db import unit_of_work
from storage.models import Member, Membership

GRACE_TELEGRAM = 6161


@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish (English, on Telegram and SMS); Juma (Swahili) and Amina
    (French) are members by SMS. Coordinators are told when 2 members need a skill."""
    with unit_of_work(factory) as session:
        for phone, telegram_id, name, language, role in [
                (GRACE, GRACE_TELEGRAM, "Grace", "en", "trader"),
                (JUMA, None, "Juma", "sw", "fisher"),
                (AMINA, None, "Amina", "fr", "fish_processor")]:
            member = Member(phone=phone, telegram_id=telegram_id, name=name, language=language,
                            registered=True)
            member.memberships.append(Membership(cluster_id=kisumu.id, role=role))
            session.add(member)
            session.flush()
            if name == "Grace":
                members.add_role(session, member, kisumu.id, "coordinator")
        store.set_threshold(session, kisumu.id, 2)
    return factory



def test_needs_by_sms_reach_the_coordinator_on_telegram(twilio, telegram_api, app_url, network):
    sms(twilio, app_url, JUMA, "HITAJI uhasibu")
    assert wait_for(lambda: sms_to(twilio, JUMA)) == [translate(
        "sw", "Noted, you need: {needs}. We will tell you when a training is planned.",
        needs="Uhasibu")]
    sms(twilio, app_url, AMINA, "BESOIN comptabilité et emballage")
    [noted] = wait_for(lambda: sms_to(twilio, AMINA))
    assert noted == render(SMS, translate(
        "fr", "Noted, you need: {needs}. We will tell you when a training is planned.",
        needs="Comptabilité, Emballage"), [])[0]
    grace = TelegramUser(telegram_api, app_url, GRACE_TELEGRAM)
    assert wait_for(lambda: grace.texts()) == [translate(
        "en", skill_handlers.THRESHOLD_REACHED, count=2, cluster="Kisumu Fish",
        skill="Bookkeeping", skills="SKILLS")]
    [report] = grace.send("/skills")
    assert "Bookkeeping 2, Packaging 1" in report.text
    assert sms_to(twilio, GRACE) == []  # Telegram costs nothing: no SMS to her


def test_training_planned_on_telegram_is_answered_by_sms(twilio, telegram_api, app_url, network):
    day = (datetime.now(ZoneInfo("Africa/Nairobi")) + timedelta(days=7)).date()
    sms(twilio, app_url, JUMA, "HITAJI mafunzo ya uhasibu")
    wait_for(lambda: sms_to(twilio, JUMA))
    grace = TelegramUser(telegram_api, app_url, GRACE_TELEGRAM)
    [planned] = grace.send(f"/skills TRAINING bookkeeping {day.isoformat()} 10:00 Dunga Beach")
    code = re.search(r"SKILLS (\w{4})\.$", planned.text)[1]
    assert "1 member who asked for it is invited" in planned.text
    invitation = wait_for(lambda: sms_to(twilio, JUMA)[1:])[0]
    assert invitation.endswith(f"Jibu NDIYO {code} au HAPANA {code}.")
    sms(twilio, app_url, JUMA, f"ndiyo {code}")
    thanks = wait_for(lambda: sms_to(twilio, JUMA)[2:])[0]
    assert thanks.startswith("Asante! Tutaonana kwenye mafunzo ya Uhasibu")
    [seen] = grace.send(f"/skills {code}")
    assert seen.text.endswith("Yes: 1. No: 0. No answer: 0.\nComing: Juma")
