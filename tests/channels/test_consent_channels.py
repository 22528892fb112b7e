"""Listing consent end to end, in each language: asked with the welcome over signed Twilio
webhooks, asked once at ME and changed with ME with Telegram buttons, left by a command; DELETE
takes a member out of the directory with their searches and introductions."""
import pytest
from live import TelegramUser, labels, sms_and_wait, wait_for
from scenes import add_member
from sqlalchemy import func, select

from handlers.budget import count_segments
from handlers.directory import consent
from handlers.profile import DIRECTORY_PARTS
from locales.i18n import SHIPPED, keyword_word, translate
from storage.db import unit_of_work
from storage.directory import DirectoryIntroduction, DirectorySearch
from storage.models import Cluster, Member

WELCOME = "Welcome, {name}! You are registered in {cluster}. Send {help} for what you can do."


def phone(lang):
    """A newcomer on SMS speaking `lang`."""
    return f"+2547220{SHIPPED.index(lang) + 1:02d}555"


def telegram_id(lang):
    """A member on Telegram speaking `lang`, registered before the directory existed."""
    return 8101 + SHIPPED.index(lang)


@pytest.fixture
def members(module_app_url, factory, kisumu):
    """Kisumu Fish, with a member per language on Telegram, never asked about the directory."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        for lang in SHIPPED:
            add_member(session, None, "fish_processor", kisumu, lang, "Neema", place="Kisumu",
                       product="omena", telegram_id=telegram_id(lang))
    return module_app_url


def saved(factory, **who) -> tuple:
    """(listed, business name, capacity) of the member."""
    with unit_of_work(factory) as session:
        column = Member.phone if "phone" in who else Member.telegram_id
        found = session.scalar(select(Member).where(column == next(iter(who.values()))))
        return found.listed, found.business_name, found.capacity


def confirmation(lang, listed):
    return translate(lang, consent.LISTED if listed else consent.NOT_LISTED,
                     me=keyword_word("me", lang))


@pytest.mark.parametrize("lang", SHIPPED)
def test_newcomer_is_asked_with_the_welcome_by_sms(twilio, members, factory, lang):
    newcomer = phone(lang)
    for text in (keyword_word("join", lang), "Neema Achieng", "2", "Kisumu"):
        sms_and_wait(twilio, members, newcomer, text)
    sms_and_wait(twilio, members, newcomer, "omena")
    [welcome] = sms_and_wait(twilio, members, newcomer, "1")
    said = translate(lang, WELCOME, name="Neema Achieng", cluster="Kisumu Fish",
                     help=keyword_word("help", lang))
    asked = translate(lang, consent.QUESTION)
    assert welcome == f"{said}\n{asked}\n1) {translate(lang, consent.YES)} 2) " \
                      f"{translate(lang, consent.NO)}"
    assert count_segments(welcome) <= 2
    [business] = sms_and_wait(twilio, members, newcomer, "1")
    assert business.startswith(translate(lang, consent.ASK_BUSINESS))
    sms_and_wait(twilio, members, newcomer, "Mama Omena")
    assert sms_and_wait(twilio, members, newcomer, "200kg a week") == [confirmation(lang, True)]
    assert saved(factory, phone=newcomer) == (True, "Mama Omena", "200kg a week")


@pytest.mark.parametrize("lang", SHIPPED)
def test_member_is_asked_once_at_me_and_changes_it_with_buttons(telegram_api, members, factory,
                                                                lang):
    neema = TelegramUser(telegram_api, members, telegram_id(lang))
    [question] = neema.send("/me")
    assert question.text == translate(lang, consent.QUESTION)
    assert labels([question]) == [translate(lang, consent.YES), translate(lang, consent.NO)]
    [business] = neema.press(translate(lang, consent.YES))
    assert labels([business]) == [translate(lang, consent.USE_MY_NAME)]
    neema.press(translate(lang, consent.USE_MY_NAME))
    before = len(neema.received())
    neema.press(translate(lang, consent.SKIP))
    done, profile = wait_for(lambda: len(neema.received()) >= before + 2
                             and neema.received()[before:])
    assert done.text == confirmation(lang, True)
    listed, unlisted = (translate(lang, DIRECTORY_PARTS[flag]) for flag in (True, False))
    assert listed in labels([profile])
    assert saved(factory, telegram_id=telegram_id(lang)) == (True, None, None)
    [again] = neema.send("/me")  # not asked again: the profile at once
    assert again.text == profile.text
    [question] = neema.press(listed)
    assert question.text == translate(lang, consent.QUESTION)
    assert neema.press(translate(lang, consent.NO))[0].text == confirmation(lang, False)
    assert saved(factory, telegram_id=telegram_id(lang)) == (False, None, None)
    assert unlisted in labels(neema.send("/me"))


@pytest.mark.parametrize("lang", SHIPPED)
def test_a_command_leaves_the_question_by_sms(twilio, members, factory, lang):
    with unit_of_work(factory) as session:
        session.scalar(select(Member).where(Member.telegram_id == telegram_id(lang))).phone = \
            phone(lang)
    me = keyword_word("me", lang)
    [question] = sms_and_wait(twilio, members, phone(lang), me)
    assert question.startswith(translate(lang, consent.QUESTION)[:20])
    [hint] = sms_and_wait(twilio, members, phone(lang), keyword_word("help", lang))
    assert keyword_word("find", lang) in hint and hint != question
    assert saved(factory, phone=phone(lang)) == (None, None, None)
    assert sms_and_wait(twilio, members, phone(lang), me) == [question]  # asked again


@pytest.mark.parametrize("lang", SHIPPED)
def test_delete_takes_the_member_out_of_the_directory(telegram_api, members, factory, lang):
    with unit_of_work(factory) as session:
        ids = [session.scalar(select(Member.id).where(Member.telegram_id == telegram_id(code)))
               for code in SHIPPED]
        cluster_id = session.scalar(select(Cluster.id))
        for number, member_id in enumerate(ids):
            session.get(Member, member_id).listed = True
            session.get(Member, member_id).business_name = f"Omena {number}"
            session.add(DirectorySearch(member_id=member_id, cluster_id=cluster_id, query="ice",
                                        folded="ice", results=[], found=False))
            session.add(DirectoryIntroduction(
                code=f"K7Q2M{number}", cluster_id=cluster_id, query="omena",
                searcher_id=member_id, member_id=ids[(number + 1) % len(ids)]))
    neema = TelegramUser(telegram_api, members, telegram_id(lang))
    [question] = neema.send(f"/{keyword_word('delete', 'en').lower()}")
    [goodbye] = neema.press(translate(lang, "Yes, delete"))
    assert goodbye.text == translate(lang, "Your data has been deleted. Goodbye.")
    with unit_of_work(factory) as session:
        gone = session.get(Member, ids[SHIPPED.index(lang)])
        assert (gone.listed, gone.business_name, gone.capacity) == (None, None, None)
        assert session.scalar(select(func.count()).select_from(DirectorySearch).where(
            DirectorySearch.member_id == gone.id)) == 0
        assert session.scalar(select(func.count()).select_from(DirectoryIntroduction)) == 2
        assert session.scalar(select(func.count()).select_from(DirectorySearch)) == 3
