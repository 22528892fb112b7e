"""Questions and their traps: a menu (MENU, ME, LANG, PRICE YES/NO without a code) is left by a
command or a sentence, which is then handled as a message of its own; a question that needs a
real answer (a name) still catches a command sent by mistake. Played in four languages."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, as_sms
from sqlalchemy import select

from handlers import menu
from handlers.budget import SMS, fits_budget
from locales.i18n import fold, keyword_word, translate
from storage.db import unit_of_work
from storage.market import Listing
from storage.members import find
from storage.prices import PriceReport

# Who plays each language, and what they trade (the product in their words).
CAST = {"en": (GRACE, "maize"), "sw": (JUMA, "mahindi"), "fr": (AMINA, "maïs"),
        "pt": (TOMAS, "milho")}
SENTENCES = {"en": "hello, I want to buy fish", "sw": "habari, nataka kununua samaki",
             "fr": "bonjour, je veux acheter du poisson", "pt": "bom dia, quero comprar peixe"}
NUMBER = "Please answer with a number from 1 to {count}."
HINT = "Sorry, I did not understand. Send {help} for what you can do, or {menu}."


@pytest.fixture
def cast(factory, kisumu):
    """Juma (sw), Amina (fr), Grace (en, coordinator) and Tomás (pt), all in Kisumu Fish, who
    have said whether to be listed in the directory (ME shows their profile at once)."""
    with unit_of_work(factory) as session:
        for member in (
                add_member(session, GRACE, "trader", kisumu, "en", "Grace", place="Kisumu",
                           coordinator=True),
                add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu"),
                add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina", place="Kisumu"),
                add_member(session, TOMAS, "craftsperson", kisumu, "pt", "Tomás", place="Kisumu")):
            member.listed = False
    return kisumu


def word(keyword: str, lang: str) -> str:
    return keyword_word(keyword, lang)


def listings(factory) -> list[tuple]:
    with unit_of_work(factory) as session:
        return [(row.kind, row.quantity, row.price)
                for row in session.scalars(select(Listing).order_by(Listing.id))]


def hint(lang: str) -> str:
    return as_sms(translate(lang, HINT, help=word("help", lang), menu=word("menu", lang)))


@pytest.mark.parametrize("lang", CAST)
@pytest.mark.parametrize("opener", ["me", "menu", "lang"])
def test_sell_after_a_menu_is_posted_in_each_language(chat, factory, cast, opener, lang):
    phone, maize = CAST[lang]
    member = chat(phone)
    assert "1)" in member.send(word(opener, lang))[-1]
    replies = member.send(f"{word('sell', lang)} {maize} 100kg 40/kg Kisumu")
    assert listings(factory) == [("sell", 100, 40)]
    assert not fold(replies[0]).startswith(fold(translate(lang, NUMBER, count=7))[:12])


@pytest.mark.parametrize("lang", CAST)
def test_sentence_fifteen_minutes_after_me_gets_the_usual_hint_in_each_language(chat, cast, lang):
    phone, _ = CAST[lang]
    member = chat(phone)
    member.send(word("me", lang))
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=15), tick=False):
        assert member.send(SENTENCES[lang]) == [hint(lang)]
        assert member.send("2") == [hint(lang)]  # the question is left, not waiting behind


@pytest.mark.parametrize("lang", CAST)
def test_price_no_with_a_code_leaves_the_report_question_in_each_language(chat, factory, cast,
                                                                          lang):
    chat(GRACE).send("PRICE SET tilapia 300/kg Kisumu")
    chat(JUMA).send("BEI sato 3000 Kisumu")  # ten times the usual: held for a check
    with unit_of_work(factory) as session:
        report_id = session.scalars(select(PriceReport.id)).one()
        find(session, phone=GRACE).language = lang
    grace = chat(GRACE)
    price, no = word("price", lang), word("no", lang)
    assert fold(grace.send(f"{price} {no}")[0]).startswith(
        fold(translate(lang, "Which price report?")))
    assert grace.send(f"{price} {no} {report_id}") == [
        as_sms(translate(lang, "Price report {code} is rejected.", code=str(report_id)))]
    with unit_of_work(factory) as session:
        assert session.get(PriceReport, report_id).status == "rejected"


@pytest.mark.parametrize("lang", CAST)
def test_menu_offers_selling_buying_and_prices_within_two_sms_in_each_language(chat, cast, lang):
    phone, _ = CAST[lang]
    member = chat(phone)
    [shown] = member.send(word("menu", lang))
    for key in ("sell", "buy", "price"):
        assert fold(translate(lang, menu.ITEMS[key])) in fold(shown)  # maybe without accents
    assert fits_budget(SMS, shown, [])
    assert member.send("1") == [as_sms(translate(
        lang, "What do you want to sell? Send the product, e.g. tilapia."))]
    member.send(word("menu", lang))
    assert member.send("2") == [as_sms(translate(
        lang, "What do you want to buy? Send the product, e.g. maize."))]


@pytest.mark.parametrize("lang", CAST)
def test_menu_item_typed_as_its_label_runs_its_keyword_alone_in_each_language(chat, cast, lang):
    phone, _ = CAST[lang]
    member = chat(phone)
    member.send(word("menu", lang))
    label = translate(lang, menu.ITEMS["price"])  # "Prix du marché": not a product to look up
    assert member.send(label) == [as_sms(translate(
        lang, "Which product? Send its name, and a market if you like, e.g. tilapia Kisumu."))]


@pytest.mark.parametrize("lang", CAST)
def test_price_question_after_lang_is_answered_in_each_language(chat, cast, lang):
    phone, _ = CAST[lang]
    member = chat(phone)
    member.send(word("lang", lang))
    [reply] = member.send(f"{word('price', lang)} tilapia")
    assert not fold(reply).startswith(fold(translate(lang, NUMBER, count=4))[:12])
    assert "Kiswahili" not in reply  # the language question is not asked again


@pytest.mark.parametrize("lang", CAST)
def test_number_or_short_answer_that_is_no_choice_asks_the_menu_again(chat, cast, lang):
    phone, _ = CAST[lang]
    member = chat(phone)
    member.send(word("me", lang))
    again = fold(translate(lang, NUMBER, count=7))  # five parts, the directory, done
    assert fold(member.send("9")[0]).startswith(again)
    assert fold(member.send("nambari 9")[0]).startswith(again)  # two words, a number: an answer
    name = translate(lang, "Name")
    assert fold(member.send(f"{name} ?")[0]).startswith(again)  # a choice's label in it
    assert member.send(name) == [as_sms(translate(lang, "What is your name?"))]


@pytest.mark.parametrize("lang", CAST)
def test_question_that_needs_a_real_answer_still_catches_a_command(chat, cast, lang):
    phone, maize = CAST[lang]
    member = chat(phone)
    member.send(word("me", lang))
    member.send("1")  # name: a free answer, where a keyword can be a real name
    [reply] = member.send(f"{word('sell', lang)} {maize} 100kg 40/kg Kisumu")
    assert fold(reply).startswith(fold(translate(
        lang, "That looks like a command. Send {menu} to leave this question, or answer it:",
        menu=word("menu", lang))))
