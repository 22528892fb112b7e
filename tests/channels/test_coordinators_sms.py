"""Coordinators by SMS, in each language: BROADCAST, MEETING and its CANCEL, PRICE SET and
SKILLS sent through Twilio's signed webhook and answered by number, messages out to members on
both channels; and the same commands refused to a member and to the coordinator of another
cluster, with nothing done."""
import re

import pytest
from live import sms_and_wait, sms_to, wait_for
from scenes import add_member, as_sms, clusters_by_language, count, next_language
from sqlalchemy import select

from handlers import broadcasts as broadcast_handlers
from handlers import meetings as meeting_handlers
from handlers.budget import to_gsm7
from handlers.meetings import action_word
from handlers.skills import skill_name
from locales.i18n import SHIPPED, keyword_word, translate
from storage import meetings as meeting_store
from storage.broadcasts import Broadcast
from storage.db import unit_of_work
from storage.prices import OfficialPrice

REFUSAL = "Sorry, only a coordinator of that cluster can do this."
CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4}\b")
TOMORROW = {"en": "tomorrow 10am", "sw": "kesho saa nne", "fr": "demain 10h", "pt": "amanhã 10h"}
SET = {"en": "set", "sw": "weka", "fr": "fixer", "pt": "fixar"}


def phone(lang, person):
    """Grace (0, the coordinator) and Juma (1, a fisher) of the cluster speaking `lang`."""
    return f"+2547230{SHIPPED.index(lang)}{person:04d}"


def tomas(lang):
    """Telegram id of Tomás, of the cluster speaking `lang`."""
    return 8100 + SHIPPED.index(lang)


def slug(lang):
    return f"fish-{lang}"


@pytest.fixture
def network(factory):
    """A cluster per language with its coordinator and a fisher on SMS, and Tomás on Telegram."""
    with unit_of_work(factory) as session:
        for lang, cluster in clusters_by_language(session).items():
            add_member(session, phone(lang, 0), "fisher", cluster, lang, "Grace",
                       coordinator=True)
            add_member(session, phone(lang, 1), "fisher", cluster, lang, "Juma")
            add_member(session, None, "fisher", cluster, lang, "Tomás", telegram_id=tomas(lang))
    return factory


@pytest.fixture
def send(twilio, module_app_url):
    """send(phone, text, replies=1) -> the SMS replies it brings."""
    return lambda number, text, replies=1: sms_and_wait(twilio, module_app_url, number, text,
                                                        replies)


def telegram_texts(api, chat_id):
    return [m.text for m in api.sent if int(m.chat_id) == chat_id]


@pytest.mark.parametrize("lang", SHIPPED)
def test_broadcast_is_confirmed_by_number_and_reaches_both_channels(
        twilio, telegram_api, send, network, lang):
    text = f"Soko {lang}: samaki 300/kg"
    [question] = send(phone(lang, 0), f"{keyword_word('broadcast', lang)} {text}")
    assert to_gsm7(question).endswith(to_gsm7(f"1) {translate(lang, 'Send')} "
                                              f"2) {translate(lang, 'Do not send')}"))
    replies = send(phone(lang, 0), "1", replies=2)  # she is a member too
    assert as_sms(translate(lang, broadcast_handlers.SENDING, count=3)) in replies
    assert wait_for(lambda: sms_to(twilio, phone(lang, 1))) == [text]
    assert wait_for(lambda: telegram_texts(telegram_api, tomas(lang))) == [text]


@pytest.mark.parametrize("lang", SHIPPED)
def test_meeting_called_then_cancelled_by_sms_tells_everyone_invited(
        twilio, telegram_api, send, network, lang):
    grace, juma, meeting = phone(lang, 0), phone(lang, 1), keyword_word("meeting", lang)
    send(grace, f"{meeting} {TOMORROW[lang]} Dunga: Bei")
    code = CODE.search(send(grace, "1")[0]).group(0)
    [invitation] = wait_for(lambda: sms_to(twilio, juma))
    assert code in invitation
    [question] = send(grace, f"{meeting} {action_word('cancel', lang)} {code}")
    assert code in question
    assert to_gsm7(question).endswith(f"2) {to_gsm7(translate(lang, 'No, leave it'))}")
    assert send(grace, "1") == [as_sms(translate(
        lang, meeting_handlers.TEXTS["meeting"]["is_cancelled"], code=code, count=2))]
    cancelled = wait_for(lambda: sms_to(twilio, juma)[1:])
    assert len(cancelled) == 1 and code in cancelled[0]
    on_telegram = wait_for(lambda: telegram_texts(telegram_api, tomas(lang))[1:])  # 0: invitation
    assert len(on_telegram) == 1 and code in on_telegram[0]
    with unit_of_work(network) as session:
        assert session.scalar(select(meeting_store.Meeting.status)) == "cancelled"


@pytest.mark.parametrize("lang", SHIPPED)
def test_official_price_set_by_sms_is_what_members_are_told(send, network, lang):
    [saved] = send(phone(lang, 0), f"{keyword_word('price', lang)} {SET[lang]} tilapia 300/kg "
                                   "Kisumu")
    assert "300 KES/kg, Kisumu" in saved
    [told] = send(phone(lang, 1), f"{keyword_word('price', lang)} tilapia Kisumu")
    assert "Kisumu" in told and "300" in told
    with unit_of_work(network) as session:
        assert [p.amount for p in session.scalars(select(OfficialPrice))] == [300.0]


@pytest.mark.parametrize("lang", SHIPPED)
def test_skills_needed_by_sms_are_counted_for_the_coordinator(send, network, lang):
    bookkeeping = skill_name("bookkeeping", lang)
    send(phone(lang, 1), f"{keyword_word('need', lang)} {bookkeeping}")
    [report] = send(phone(lang, 0), keyword_word("skills", lang))
    assert f"{as_sms(bookkeeping)} 1" in report


@pytest.mark.parametrize("lang", SHIPPED)
def test_member_and_coordinator_of_another_cluster_are_refused_by_sms(send, network, lang):
    commands = [f"{keyword_word('broadcast', lang)} {slug(lang)} Habari",
                f"{keyword_word('meeting', lang)} {slug(lang)} {TOMORROW[lang]} Dunga: Bei",
                f"{keyword_word('price', lang)} {SET[lang]} {slug(lang)} tilapia 300/kg Kisumu",
                f"{keyword_word('skills', lang)} {slug(lang)}"]
    for who, said in [(phone(lang, 1), lang), (phone(next_language(lang), 0), next_language(lang))]:
        for command in commands:
            assert send(who, command) == [as_sms(translate(said, REFUSAL))]
    assert count(network, Broadcast) == count(network, OfficialPrice) == 0
    assert count(network, meeting_store.Meeting) == 0
