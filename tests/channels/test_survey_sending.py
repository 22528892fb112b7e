"""A survey sent to Kisumu Fish through the running app: only the members the filters choose get
the consent line and the first question, on SMS (signed Twilio) and Telegram, in the form's
language nearest theirs; a scheduled one waits for its time; a member busy in another
conversation is asked once it is over; the one reminder after REMIND_AFTER, to those who have
not finished only, and none after close."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from live import TelegramUser, labels, sms_and_wait, sms_to, wait_for
from scenes import AMINA, JUMA, add_member, outbox
from sqlalchemy import select
from surveyforms import fish_losses

from handlers.surveys import sending
from locales.i18n import keyword_word
from storage import clusters
from storage.db import unit_of_work
from storage.surveys import Respondent, Survey

AKINYI = "+254722000013"  # a fisher who opted out
WANJIRU_TG, TOMAS_TG = 4343, 4242
QUESTION_SW = "Je, unahifadhi samaki wako kwenye barafu?"
QUESTION_EN = "Do you keep your fish on ice?"
PURPOSE_SW = "Chuo Kikuu cha Nairobi kinachunguza upotevu wa samaki"
PURPOSE_EN = "The University of Nairobi studies fish losses"
TITLE = "Fish losses after the catch"


@pytest.fixture
def cast(app_url, factory):
    """Kisumu Fish: Juma (Swahili) fishes and reads SMS, Amina (English) processes fish; on
    Telegram Wanjiru (Swahili) and Tomás (Portuguese, which the form lacks) fish; Akinyi fishes
    but opted out."""
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        add_member(session, JUMA, "fisher", cluster, "sw", "Juma")
        add_member(session, AMINA, "fish_processor", cluster, "en", "Amina")
        add_member(session, None, "fisher", cluster, "sw", "Wanjiru", telegram_id=WANJIRU_TG)
        add_member(session, None, "fisher", cluster, "pt", "Tomás", telegram_id=TOMAS_TG)
        add_member(session, AKINYI, "fisher", cluster, "sw", "Akinyi", opted_out=True)
    return app_url


@pytest.fixture
def code(factory, kisumu, tmp_path) -> str:
    """The fish losses questionnaire, imported as a draft of Kisumu Fish."""
    with unit_of_work(factory) as session:
        return sending.load(session, kisumu, fish_losses(tmp_path / "fish_losses.xlsx"),
                            "cli").code


@pytest.fixture
def people(cast, telegram_api):
    return {"wanjiru": TelegramUser(telegram_api, cast, WANJIRU_TG),
            "tomas": TelegramUser(telegram_api, cast, TOMAS_TG)}


def send(clusterbot, code: str, *args: str) -> str:
    result = clusterbot("survey", "send", code, "--wait", "0", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def ask_due(factory, now: datetime | None = None) -> None:
    """What the running app's start job does every few seconds, done now."""
    with unit_of_work(factory) as session:
        sending.start_due(session, now or datetime.now(timezone.utc))


def remind_due(factory) -> None:
    with unit_of_work(factory) as session:
        sending.remind_due(session, datetime.now(timezone.utc))


def statuses(factory, code: str) -> dict[str, str]:
    """phone or Telegram id -> respondent status."""
    with unit_of_work(factory) as session:
        return {r.member.phone or str(r.member.telegram_id): r.status for r in session.scalars(
            select(Respondent).join(Survey).where(Survey.code == code))}


def asked(twilio, phone: str, question: str = QUESTION_SW) -> list[str]:
    """The SMS the phone got, once the first question is among them."""
    return wait_for(lambda: any(question in body for body in sms_to(twilio, phone))
                    and sms_to(twilio, phone), timeout=15)


def asked_on_telegram(user: TelegramUser, question: str) -> list[str]:
    return wait_for(lambda: question in user.texts() and user.texts(), timeout=15)


def reached(factory) -> set[str]:
    """Addresses the app has queued anything to."""
    return {message.address for message in outbox(factory)}


def test_send_to_fishers_asks_each_on_their_channel_in_their_language(clusterbot, factory,
                                                                      code, people, twilio):
    """The command watches the running app's start job ask them."""
    result = clusterbot("survey", "send", code, "--role", "fisher", "--wait", "30")

    assert (result.exit_code, result.stderr.count("error")) == (0, 0), result.output
    assert result.stdout.startswith(f"Survey {code}: 3 members.")
    assert result.stdout.endswith("asked 3 of 3\n")
    juma = asked(twilio, JUMA)
    assert juma[0].startswith("Kisumu Fish") and PURPOSE_SW in juma[0]
    assert keyword_word("skip", "sw") in juma[0] and "STOP" in juma[0]
    assert juma[-1] == f"{QUESTION_SW}\n1) Ndiyo 2) Hapana"
    wanjiru = asked_on_telegram(people["wanjiru"], QUESTION_SW)
    assert PURPOSE_SW in wanjiru[0] and wanjiru[-1] == QUESTION_SW
    assert labels(people["wanjiru"].received()) == ["Ndiyo", "Hapana"]
    tomas = asked_on_telegram(people["tomas"], QUESTION_EN)  # no Portuguese in the form
    assert PURPOSE_EN in tomas[0] and tomas[-1] == QUESTION_EN
    assert labels(people["tomas"].received()) == ["Yes", "No"]
    assert reached(factory) == {JUMA, str(WANJIRU_TG), str(TOMAS_TG)}  # not Amina nor Akinyi
    assert statuses(factory, code) == {JUMA: "asked", str(WANJIRU_TG): "asked",
                                       str(TOMAS_TG): "asked"}


def test_send_to_a_language_asks_only_its_readers(clusterbot, factory, code, people, twilio):
    assert f"Survey {code}: 2 members." in send(clusterbot, code, "--language", "sw")

    ask_due(factory)

    assert asked(twilio, JUMA)[-1] == f"{QUESTION_SW}\n1) Ndiyo 2) Hapana"
    asked_on_telegram(people["wanjiru"], QUESTION_SW)
    assert reached(factory) == {JUMA, str(WANJIRU_TG)}
    assert people["tomas"].texts() == [] and sms_to(twilio, AMINA) == []


def test_send_at_a_later_time_asks_when_it_comes(clusterbot, factory, code, cast, twilio):
    start = datetime.now(timezone.utc)
    at = (start + timedelta(hours=2)).astimezone(timezone(timedelta(hours=3)))  # Nairobi

    scheduled = send(clusterbot, code, "--language", "sw", "--role", "fisher", "--at",
                     at.strftime("%Y-%m-%dT%H:%M"))

    assert f"Survey {code} scheduled for " in scheduled
    ask_due(factory)
    assert statuses(factory, code) == {} and reached(factory) == set()
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=True):
        ask_due(factory, datetime.now(timezone.utc))
        assert asked(twilio, JUMA)[-1] == f"{QUESTION_SW}\n1) Ndiyo 2) Hapana"
    assert statuses(factory, code) == {JUMA: "asked", str(WANJIRU_TG): "asked"}


def test_a_member_in_another_conversation_is_asked_once_it_is_over(clusterbot, factory, code,
                                                                   people, twilio, cast):
    start = datetime.now(timezone.utc)
    menu = sms_and_wait(twilio, cast, JUMA, "MENU")  # Juma is choosing in the menu
    send(clusterbot, code, "--language", "sw")

    ask_due(factory)

    asked_on_telegram(people["wanjiru"], QUESTION_SW)
    assert statuses(factory, code) == {JUMA: "invited", str(WANJIRU_TG): "asked"}
    assert sms_to(twilio, JUMA) == menu
    with time_machine.travel(start + sending.BUSY_FOR + timedelta(minutes=1), tick=True):
        ask_due(factory, datetime.now(timezone.utc))
        assert asked(twilio, JUMA)[-1] == f"{QUESTION_SW}\n1) Ndiyo 2) Hapana"
    assert statuses(factory, code) == {JUMA: "asked", str(WANJIRU_TG): "asked"}


def answer_all(wanjiru: TelegramUser) -> None:
    """Wanjiru answers the whole questionnaire on Telegram: ice yes, 20 kg lost, the price
    skipped, her last trip yesterday, an idea."""
    wanjiru.press("Ndiyo")
    wanjiru.send("20")
    wanjiru.send(keyword_word("skip", "sw"))
    wanjiru.send((datetime.now(timezone.utc) - timedelta(days=1)).strftime("%d/%m/%Y"))
    wanjiru.send("Barafu ya bei nafuu karibu na mwalo")


def reminded(factory) -> dict[str, bool]:
    """phone or Telegram id -> whether the respondent was reminded."""
    with unit_of_work(factory) as session:
        return {r.member.phone or str(r.member.telegram_id): r.reminded_at is not None
                for r in session.scalars(select(Respondent))}


def test_one_reminder_after_two_days_to_those_who_have_not_finished(clusterbot, factory, code,
                                                                    people, twilio):
    start = datetime.now(timezone.utc)
    send(clusterbot, code, "--language", "sw")
    ask_due(factory)
    asked(twilio, JUMA)
    asked_on_telegram(people["wanjiru"], QUESTION_SW)
    answer_all(people["wanjiru"])
    assert statuses(factory, code) == {JUMA: "asked", str(WANJIRU_TG): "complete"}
    before = {JUMA: len(sms_to(twilio, JUMA)), "wanjiru": len(people["wanjiru"].received())}

    with time_machine.travel(start + sending.REMIND_AFTER - timedelta(hours=1), tick=True):
        remind_due(factory)
        assert reminded(factory) == {JUMA: False, str(WANJIRU_TG): False}
    with time_machine.travel(start + sending.REMIND_AFTER + timedelta(hours=1), tick=True):
        remind_due(factory)
        [reminder] = wait_for(lambda: sms_to(twilio, JUMA)[before[JUMA]:], timeout=15)
        remind_due(factory)  # again: nothing more
    with time_machine.travel(start + 2 * sending.REMIND_AFTER, tick=True):
        remind_due(factory)
        queued = len(outbox(factory))

    assert TITLE in reminder and keyword_word("survey", "sw") in reminder
    assert reminded(factory) == {JUMA: True, str(WANJIRU_TG): False}  # she had finished
    assert len(outbox(factory)) == queued
    assert len(sms_to(twilio, JUMA)) == before[JUMA] + 1
    assert len(people["wanjiru"].received()) == before["wanjiru"]


def test_after_close_nobody_is_asked_or_reminded(clusterbot, factory, code, people, twilio,
                                                 cast):
    start = datetime.now(timezone.utc)
    sms_and_wait(twilio, cast, JUMA, "MENU")  # busy: not asked before the close
    send(clusterbot, code, "--language", "sw")
    ask_due(factory)
    asked_on_telegram(people["wanjiru"], QUESTION_SW)
    closed = clusterbot("survey", "close", code)
    assert closed.stdout == f"Survey {code} closed: 0 of 2 members answered it to the end.\n"
    queued = len(outbox(factory))

    with time_machine.travel(start + sending.REMIND_AFTER + timedelta(hours=1), tick=True):
        ask_due(factory, datetime.now(timezone.utc))
        remind_due(factory)

    assert statuses(factory, code) == {JUMA: "invited", str(WANJIRU_TG): "asked"}
    assert reminded(factory) == {JUMA: False, str(WANJIRU_TG): False}
    assert len(outbox(factory)) == queued
