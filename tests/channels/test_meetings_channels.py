"""Meetings end to end: Grace calls one by SMS and on Telegram (buttons), members get the
invitation on their own channel and answer it, through the real webhooks and SDKs."""
import re

import pytest
from live import TelegramUser, labels, sms, sms_to, wait_for
from scenes import GRACE, JUMA, add_member
from sqlalchemy import select

from storage import meetings as storage
from storage.db import unit_of_work
from storage.models import Member

GRACE_TELEGRAM = 5151
TOMAS_TELEGRAM = 4242


@pytest.fixture
def network(factory, kisumu):
    """Grace (coordinator, Swahili, SMS and Telegram), Juma (fisher, SMS), Tomás (Telegram)."""
    with unit_of_work(factory) as session:
        add_member(session, GRACE, "trader", kisumu, "sw", "Grace", telegram_id=GRACE_TELEGRAM,
                   coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        add_member(session, None, "craftsperson", kisumu, "en", "Tomás", telegram_id=TOMAS_TELEGRAM)
    return factory



def answer_of(factory, name):
    with unit_of_work(factory) as session:
        return session.scalar(select(storage.Invitation.answer).join(
            Member, Member.id == storage.Invitation.member_id).where(Member.name == name))


def test_meeting_is_called_and_answered_by_sms(twilio, telegram_api, app_url, network):
    sms(twilio, app_url, GRACE, "MKUTANO kesho saa nne Dunga Beach: Mnyororo baridi")
    [question] = wait_for(lambda: sms_to(twilio, GRACE))
    assert question.startswith("Mnyororo baridi, ") and "(saa 4 asubuhi)" in question
    assert question.endswith("wanachama 2?\n1) Ndiyo 2) Usitume")
    sms(twilio, app_url, GRACE, "1")
    done = wait_for(lambda: sms_to(twilio, GRACE)[1:])[0]
    code = re.search(r"ni ([A-Z0-9]{4})\.", done).group(1)
    [invitation] = wait_for(lambda: sms_to(twilio, JUMA))
    assert invitation.startswith(f"Mkutano {code}: Mnyororo baridi. ")
    assert invitation.endswith(f"Jibu NDIYO {code} au HAPANA {code}.")
    tomas = TelegramUser(telegram_api, app_url, TOMAS_TELEGRAM)
    assert tomas.next_text(0).endswith(f"Reply YES {code} or NO {code}.")
    sms(twilio, app_url, JUMA, f"ndiyo {code.lower()}")
    thanks = wait_for(lambda: sms_to(twilio, JUMA)[1:])[0]
    assert thanks.startswith("Asante! Tutaonana kwenye Mnyororo baridi")
    assert answer_of(network, "Juma") == "yes"


def test_meeting_is_called_on_telegram_with_buttons(twilio, telegram_api, app_url, network):
    grace = TelegramUser(telegram_api, app_url, GRACE_TELEGRAM)
    tomas = TelegramUser(telegram_api, app_url, TOMAS_TELEGRAM)
    [which] = grace.send("/meeting kesho saa mbili Dunga Beach: Bei")
    evening = labels([which])[1]
    assert evening.endswith("20:00")  # saa mbili: 8:00 or 20:00
    [confirm] = grace.press(evening)
    assert "(saa 2 usiku)" in confirm.text
    assert labels([confirm]) == ["Ndiyo", "Usitume"]
    [done] = grace.press("Ndiyo")
    code = re.search(r"ni ([A-Z0-9]{4})\.", done.text).group(1)
    [invitation] = wait_for(lambda: sms_to(twilio, JUMA))
    assert invitation.startswith(f"Mkutano {code}: Bei. ")
    assert tomas.next_text(0).startswith(f"Meeting {code}: Bei. ")
    tomas.post_text("no")
    assert tomas.next_text(1) == ("Thank you, noted: you will not come to Bei. If that changes, "
                                  f"reply YES {code}.")
    assert answer_of(network, "Tomás") == "no"
    [attendance] = grace.send(f"MKUTANO ORODHA {code}")
    assert "Hapana: 1" in attendance.text and "Hawatakuja: Tomás" in attendance.text
