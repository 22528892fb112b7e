"""Meetings end to end: Grace calls one by SMS and on Telegram (buttons), members get the
invitation on their own channel and answer it, through the real webhooks and SDKs."""
import re

import pytest
from doubles.telegram import callback_update, command_update, message_update
from live import SECRET, sms, sms_to, wait_for
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



def telegram_to(api, chat_id):
    return [m for m in api.sent if int(m.chat_id) == chat_id]


def buttons(message):
    return [(b["text"], b["callback_data"]) for row in message.reply_markup["inline_keyboard"]
            for b in row]


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
    [on_telegram] = wait_for(lambda: telegram_to(telegram_api, TOMAS_TELEGRAM))
    assert on_telegram.text.endswith(f"Reply YES {code} or NO {code}.")
    sms(twilio, app_url, JUMA, f"ndiyo {code.lower()}")
    thanks = wait_for(lambda: sms_to(twilio, JUMA)[1:])[0]
    assert thanks.startswith("Asante! Tutaonana kwenye Mnyororo baridi")
    assert answer_of(network, "Juma") == "yes"


def test_meeting_is_called_on_telegram_with_buttons(twilio, telegram_api, app_url, network):
    def press(label_index, message):
        _, data = buttons(message)[label_index]
        post(callback_update(next(ids), GRACE_TELEGRAM, data))

    def post(update):
        assert telegram_api.post_update(app_url, update, SECRET).status_code == 200

    ids = iter(range(9000, 9100))
    post(command_update(next(ids), GRACE_TELEGRAM, "/meeting kesho saa mbili Dunga Beach: Bei"))
    [which] = wait_for(lambda: telegram_to(telegram_api, GRACE_TELEGRAM))
    assert [label for label, _ in buttons(which)][1].endswith("20:00")  # saa mbili: 8:00 or 20:00
    press(1, which)
    confirm = wait_for(lambda: telegram_to(telegram_api, GRACE_TELEGRAM)[1:])[0]
    assert "(saa 2 usiku)" in confirm.text
    assert [label for label, _ in buttons(confirm)] == ["Ndiyo", "Usitume"]
    press(0, confirm)
    done = wait_for(lambda: telegram_to(telegram_api, GRACE_TELEGRAM)[2:])[0]
    code = re.search(r"ni ([A-Z0-9]{4})\.", done.text).group(1)
    [invitation] = wait_for(lambda: sms_to(twilio, JUMA))
    assert invitation.startswith(f"Mkutano {code}: Bei. ")
    [on_telegram] = wait_for(lambda: telegram_to(telegram_api, TOMAS_TELEGRAM))
    assert on_telegram.text.startswith(f"Meeting {code}: Bei. ")
    post(message_update(next(ids), TOMAS_TELEGRAM, "no"))
    thanks = wait_for(lambda: telegram_to(telegram_api, TOMAS_TELEGRAM)[1:])[0]
    assert thanks.text == ("Thank you, noted: you will not come to Bei. If that changes, reply "
                           f"YES {code}.")
    assert answer_of(network, "Tomás") == "no"
    post(message_update(next(ids), GRACE_TELEGRAM, f"MKUTANO ORODHA {code}"))
    attendance = wait_for(lambda: telegram_to(telegram_api, GRACE_TELEGRAM)[3:])[0]
    assert "Hapana: 1" in attendance.text and "Hawatakuja: Tomás" in attendance.text
