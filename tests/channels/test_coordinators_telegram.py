"""Coordinators on Telegram, in each language: /broadcast, /meeting, /price and /skills sent as
real webhook updates, choices answered with inline buttons, replies and messages to members out
through python-telegram-bot and Twilio to the doubles; and the same commands refused to a member
and to the coordinator of another cluster.

Telegram gets at most one message a second in a chat, so a scene takes about a second a reply:
one app serves the whole module, and the four languages play their scenes at the same time, each
in a cluster of its own."""
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from live import TelegramUser, labels, wait_for
from scenes import add_member, clusters_by_language, count, next_language
from sqlalchemy import select

from handlers import broadcasts as broadcast_handlers
from handlers import meetings as meeting_handlers
from handlers.skills import skill_name
from locales.i18n import SHIPPED, keyword_word, translate
from storage import meetings as meeting_store
from storage import members
from storage import skills as skill_store
from storage.broadcasts import Broadcast
from storage.db import unit_of_work
from storage.prices import OfficialPrice

REFUSAL = "Sorry, only a coordinator of that cluster can do this."
CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4}\b")  # not LIST, not 2026
TOMORROW = {"en": "tomorrow 10am", "sw": "kesho saa nne", "fr": "demain 10h", "pt": "amanhã 10h"}
LATER = {"en": "tomorrow 11am", "sw": "kesho saa tano", "fr": "demain 11h", "pt": "amanhã 11h"}
EIGHT = {"en": "tomorrow 8", "sw": "kesho saa mbili", "fr": "demain 8", "pt": "amanhã 8"}
TRAINING = {"en": "training", "sw": "mafunzo", "fr": "formation", "pt": "formacao"}
SET = {"en": "set", "sw": "weka", "fr": "fixer", "pt": "fixar"}


def coordinator(lang):
    """Telegram id of the coordinator of the cluster of `lang` (Grace, speaking it)."""
    return 7101 + 10 * SHIPPED.index(lang)


def member(lang):
    """Telegram id of a fisher of that cluster (Juma, speaking it)."""
    return 7102 + 10 * SHIPPED.index(lang)


def phone(lang):
    """Phone of a processor of that cluster on SMS only (Amina, speaking it)."""
    return f"+25472200{SHIPPED.index(lang) + 1:02d}03"


def slug(lang):
    return f"fish-{lang}"


@pytest.fixture
def network(factory):
    """A cluster per language, each with its coordinator and a fisher on Telegram and a
    processor by SMS, all speaking that language."""
    with unit_of_work(factory) as session:
        for lang, cluster in clusters_by_language(session).items():
            add_member(session, None, "trader", cluster, lang, "Grace", place="Kisumu",
                       telegram_id=coordinator(lang), coordinator=True)
            add_member(session, None, "fisher", cluster, lang, "Juma", place="Kisumu",
                       telegram_id=member(lang))
            add_member(session, phone(lang), "trader", cluster, lang, "Amina", place="Kisumu")
    return factory


def in_every_language(scene):
    """Plays `scene(lang)` for the four languages at once; fails as the first that fails."""
    with ThreadPoolExecutor(len(SHIPPED)) as pool:
        for future in [pool.submit(scene, lang) for lang in SHIPPED]:
            future.result()


def opening(lang, msgid, **values):
    """The translation of `msgid` up to where its time is said: `Mkutano K7Q3: Bei. `."""
    return translate(lang, msgid, starts="\0", place="", accept="", decline="", **values
                     ).split("\0")[0]


def test_broadcast_is_confirmed_with_a_button_and_reaches_every_member(
        telegram_api, twilio, module_app_url, network):
    def scene(lang):
        grace, juma = TelegramUser(telegram_api, module_app_url, coordinator(lang)), \
            TelegramUser(telegram_api, module_app_url, member(lang))
        text = f"Soko {lang}: samaki 300/kg"
        question = grace.send(f"/broadcast {text}")[0]
        assert labels([question]) == [translate(lang, "Send"), translate(lang, "Do not send")]
        grace.press(translate(lang, "Send"))
        sending = translate(lang, broadcast_handlers.SENDING, count=3)
        assert sorted(wait_for(lambda: len(grace.texts(1)) == 2 and grace.texts(1))) == sorted(
            [sending, text])  # she is a member too; the summary comes later
        assert wait_for(lambda: juma.texts()) == [text]
        assert wait_for(lambda: [m.body for m in twilio.sent if m.to == phone(lang)]) == [text]

    in_every_language(scene)


def test_meeting_is_called_answered_listed_moved_and_cancelled_with_buttons(
        telegram_api, module_app_url, network):
    def scene(lang):
        grace, juma = TelegramUser(telegram_api, module_app_url, coordinator(lang)), \
            TelegramUser(telegram_api, module_app_url, member(lang))
        yes, title = translate(lang, "Yes"), f"Bei {lang}"
        question = grace.send(f"/meeting {TOMORROW[lang]} Dunga Beach: {title}")[0]
        assert labels([question]) == [yes, translate(lang, "Do not send")]
        code = CODE.search(grace.press(yes)[0].text)[0]
        assert juma.next_text(0).startswith(
            opening(lang, meeting_handlers.INVITATION, code=code, title=title))
        assert juma.send(f"{keyword_word('yes', lang)} {code}")[0].text.startswith(opening(
            lang, meeting_handlers.TEXTS["meeting"]["coming"], title=title))

        listing = grace.send(f"/meeting {meeting_handlers.action_word('list', lang)} {code}")[0]
        assert translate(lang, "Coming: {people}", people="Juma") in listing.text
        grace.send(f"/meeting {meeting_handlers.action_word('move', lang)} {code} {LATER[lang]}")[0]
        assert labels(grace.received()) == [yes, translate(lang, "No, leave it")]
        grace.press(yes)
        assert juma.next_text(2).startswith(
            opening(lang, meeting_handlers.MOVED, code=code, title=title))
        grace.send(f"/meeting {meeting_handlers.action_word('cancel', lang)} {code}")[0]
        assert grace.press(yes)[0].text == translate(
            lang, meeting_handlers.TEXTS["meeting"]["is_cancelled"], code=code, count=2)
        assert juma.next_text(3).startswith(
            opening(lang, meeting_handlers.CANCELLED, code=code, title=title))

    in_every_language(scene)


def test_official_price_is_set_on_telegram(telegram_api, module_app_url, network):
    def scene(lang):
        grace = TelegramUser(telegram_api, module_app_url, coordinator(lang))
        saved = grace.send(f"/price {SET[lang]} tilapia 300/kg Kisumu")[0].text
        assert saved.startswith(translate(
            lang, "Official price saved: {product} {amount} {currency}/{unit}, {place}, {date}.",
            product="\0", amount="", currency="", unit="", place="", date="").split("\0")[0])
        assert "300 KES/kg, Kisumu" in saved

    in_every_language(scene)
    with unit_of_work(network) as session:
        assert [p.amount for p in session.scalars(select(OfficialPrice))] == [300.0] * 4


def test_skills_report_and_a_training_picked_with_a_button_then_cancelled(
        telegram_api, module_app_url, network):
    with unit_of_work(network) as session:
        for lang in SHIPPED:
            juma = members.find(session, telegram_id=member(lang))
            skill_store.add_need(session, cluster_id=juma.memberships[0].cluster_id,
                                 member_id=juma.id, skill="bookkeeping", topic="bookkeeping",
                                 wording="bookkeeping")

    def scene(lang):
        grace, juma = TelegramUser(telegram_api, module_app_url, coordinator(lang)), \
            TelegramUser(telegram_api, module_app_url, member(lang))
        bookkeeping = skill_name("bookkeeping", lang)
        assert f"{bookkeeping} 1" in grace.send("/skills")[0].text
        which = grace.send(f"/skills {TRAINING[lang]} {bookkeeping} {EIGHT[lang]} Dunga")[0]
        evening = next(label for label in labels([which]) if label.endswith("20:00"))
        planned = grace.press(evening)[0].text
        code = CODE.search(planned)[0]
        assert planned.endswith(f"{keyword_word('skills', lang)} {code}.")
        training = meeting_handlers.TEXTS["training"]
        assert juma.next_text(0).startswith(opening(lang, training["invitation"],
                                                    title=bookkeeping))
        grace.send(f"/skills {meeting_handlers.action_word('cancel', lang)} {code}")[0]
        grace.press(translate(lang, "Yes"))
        assert juma.next_text(1).startswith(opening(lang, training["cancelled"], code=code,
                                                    title=bookkeeping))

    in_every_language(scene)


def test_member_and_coordinator_of_another_cluster_are_refused_and_nothing_happens(
        telegram_api, twilio, module_app_url, network):
    starts = datetime.now(timezone.utc) + timedelta(days=2)
    codes = {}
    with unit_of_work(network) as session:
        for lang in SHIPPED:
            grace = members.find(session, telegram_id=coordinator(lang))
            meeting, _ = meeting_store.schedule(
                session, cluster_id=grace.memberships[0].cluster_id, organiser_id=grace.id,
                title="Bei", place="Dunga", starts_at=starts, now=datetime.now(timezone.utc))
            codes[lang] = meeting.code

    def scene(lang):
        """Juma tries his cluster's commands; the coordinator of the next cluster tries them on
        Juma's cluster."""
        code, other = codes[lang], coordinator(next_language(lang))
        tries = {
            member(lang): ["/broadcast Habari", f"/meeting {TOMORROW[lang]} Dunga: Bei",
                           "/price set tilapia 300/kg Kisumu", "/skills",
                           f"/meeting cancel {code}"],
            other: [f"/broadcast {slug(lang)} Habari",
                    f"/meeting {slug(lang)} tomorrow 10am Dunga: X",
                    f"/price set {slug(lang)} tilapia 300/kg Kisumu", f"/skills {slug(lang)}",
                    f"/skills move {code} tomorrow 9am"],
        }
        people = {who: TelegramUser(telegram_api, module_app_url, who) for who in tries}
        for who, commands in tries.items():  # at once: the refusals come back in any order
            for command in commands:
                people[who].post_text(command)
        for who, commands in tries.items():
            said = next_language(lang) if who == other else lang
            assert wait_for(lambda: len(people[who].texts()) >= len(commands)
                            and people[who].texts()) == [translate(said, REFUSAL)] * len(commands)

    in_every_language(scene)
    with unit_of_work(network) as session:
        kept = [(m.status, m.starts_at) for m in session.scalars(select(meeting_store.Meeting))]
    assert kept == [("scheduled", starts)] * 4
    assert count(network, Broadcast) == count(network, OfficialPrice) == 0
    assert twilio.sent == [] and len(telegram_api.sent) == 40  # the refusals, and nothing else
