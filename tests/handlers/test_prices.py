"""Market prices: Grace sets prices of record, Juma and Amina report and ask, in four languages;
held reports, alerts, the weekly digest, and the WFP history import."""
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, as_sms, outbox
from sqlalchemy import func, select

from bot import scheduler
from bot.settings import get_settings
from handlers import prices as price_handlers
from handlers.budget import count_segments
from locales.i18n import translate
from storage import clusters, members, prices
from storage.db import unit_of_work
from storage.models import AuditEntry, Place, Product
from storage.prices import OfficialPrice, PriceDigest, PriceReport

DATA = Path(__file__).resolve().parent.parent / "data"
NAIROBI = timezone(timedelta(hours=3))
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=NAIROBI)  # "today" in these scenes
# The words of each shipped language: PRICE, SET, YES, NO, and tilapia's name.
WORDS = {
    "en": ("PRICE", "SET", "YES", "NO", "tilapia"),
    "sw": ("BEI", "WEKA", "NDIYO", "HAPANA", "sato"),
    "fr": ("PRIX", "FIXER", "OUI", "NON", "tilapia"),
    "pt": ("PRECO", "FIXAR", "SIM", "NAO", "tilápia"),
}
SAVED = "Official price saved: {product} {amount} {currency}/{unit}, {place}, {date}."
REPORTED = "Thank you! Your price is saved: {product} {amount} {currency}/{unit}, {place}."
REFUSAL = "Sorry, only a coordinator of that cluster can do this."
HEAD = "{product} prices, {currency}/{unit}:"


@pytest.fixture(autouse=True)
def saturday():
    with time_machine.travel(SATURDAY, tick=False) as traveller:
        yield traveller


def join(factory, cluster, phone=None, telegram_id=None, name="Member", language="en",
         role="fisher", products=("tilapia",), place="Kisumu", coordinator=False):
    """A registered member of the cluster, straight into the database."""
    with unit_of_work(factory) as session:
        member = members.get_or_create(session, phone=phone, telegram_id=telegram_id)
        known = session.scalar(select(Place).where(Place.name == place))
        member.name, member.language, member.language_chosen = name, language, True
        member.place_id, member.place_name, member.registered = known.id if known else None, place, True
        members.add_role(session, member, cluster.id, role)
        if coordinator:
            members.add_role(session, member, cluster.id, "coordinator")
        catalog = dict(session.execute(select(Product.slug, Product.id)).all())
        members.set_products(member, [(catalog[slug], slug) for slug in products])
        return member.id


@pytest.fixture
def homa_bay(factory):
    with unit_of_work(factory) as session:
        return clusters.add(session, slug="homa-bay", name="Homa Bay Fish", currency="KES",
                            country="KE", languages=["sw", "en"], timezone="Africa/Nairobi")


@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish; Juma (sw) and Amina (fr) deal in tilapia there."""
    join(factory, kisumu, GRACE, name="Grace", language="en", role="trader", coordinator=True)
    join(factory, kisumu, JUMA, name="Juma", language="sw", products=("tilapia", "omena"))
    join(factory, kisumu, AMINA, name="Amina", language="fr", role="fish_processor")
    return kisumu


def speak(factory, phone, language):
    with unit_of_work(factory) as session:
        members.find(session, phone=phone).language = language


def official(factory) -> list[tuple]:
    with unit_of_work(factory) as session:
        return [(p.market, p.amount, p.unit, p.currency, p.observed_on, p.source)
                for p in session.scalars(select(OfficialPrice).order_by(OfficialPrice.id))]


def reports(factory) -> list[tuple]:
    with unit_of_work(factory) as session:
        return [(r.id, r.market, r.amount, r.status)
                for r in session.scalars(select(PriceReport).order_by(PriceReport.id))]


def audit_actions(factory) -> list[str]:
    with unit_of_work(factory) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def notices_to(factory, phone) -> list[str]:
    return [m.text for m in outbox(factory) if m.address == phone and m.kind == "notice"]



def day(lang, when=SATURDAY.date()):
    return price_handlers.day_label(when, SATURDAY.date(), lang)


def set_price(chat, text):
    return chat(GRACE).send(text)


# --- Every command in every language ----------------------------------------------------------

@pytest.mark.parametrize("lang", WORDS)
def test_coordinator_sets_official_price_in_each_language(chat, factory, network, lang):
    price, set_word, _, _, tilapia = WORDS[lang]
    speak(factory, GRACE, lang)
    reply = chat(GRACE).send(f"{price} {set_word} {tilapia} 120/kg Kisumu")
    assert reply == [as_sms(translate(lang, SAVED, product=tilapia, amount="120", currency="KES",
                                   unit="kg", place="Kisumu", date=day(lang)))]
    assert official(factory) == [("Kisumu", 120.0, "kg", "KES", date(2026, 11, 28), "coordinator")]
    assert audit_actions(factory) == ["price.set"]


@pytest.mark.parametrize("lang", WORDS)
def test_member_reports_price_in_each_language(chat, factory, network, lang):
    price, _, _, _, tilapia = WORDS[lang]
    speak(factory, JUMA, lang)
    reply = chat(JUMA).send(f"{price} {tilapia} 130/kg Kibuye")
    assert reply == [as_sms(translate(lang, REPORTED, product=tilapia, amount="130", currency="KES",
                                   unit="kg", place="Kibuye (Kisumu)"))]
    assert [r[1:] for r in reports(factory)] == [("Kibuye (Kisumu)", 130.0, "published")]
    assert official(factory) == []


@pytest.mark.parametrize("lang", WORDS)
def test_member_asks_prices_in_each_language(chat, factory, network, lang):
    price, _, _, _, tilapia = WORDS[lang]
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    chat(AMINA).send("PRIX tilapia 310/kg Kisumu")
    speak(factory, JUMA, lang)
    [reply] = chat(JUMA).send(f"{price} {tilapia}")
    head = translate(lang, HEAD, product=tilapia, currency="KES", unit="kg")
    assert reply == as_sms("\n".join([
        head[0].upper() + head[1:],
        translate(lang, price_handlers.MEMBERS, amount="310", count=1),
        f"Kisumu 300 ({day(lang)})"]))


@pytest.mark.parametrize(("lang", "one", "two"), [
    ("en", "Members: 310, median of 1 report in 7 days",
     "Members: 315, median of 2 reports in 7 days"),
    ("sw", "Wanachama: 310, wastani wa kati wa ripoti 1 ya siku 7",
     "Wanachama: 315, wastani wa kati wa ripoti 2 za siku 7"),
    ("fr", "Membres : 310, médiane de 1 relevé sur 7 jours",
     "Membres : 315, médiane de 2 relevés sur 7 jours"),
    ("pt", "Membros: 310, mediana de 1 relato em 7 dias",
     "Membros: 315, mediana de 2 relatos em 7 dias"),
])
def test_members_median_counts_one_report_or_more(chat, factory, network, lang, one, two):
    price, _, _, _, tilapia = WORDS[lang]
    chat(AMINA).send("PRIX tilapia 310/kg Kisumu")
    speak(factory, JUMA, lang)
    juma = chat(JUMA, style="telegram")
    assert one in juma.send(f"{price} {tilapia}")[0]
    juma.send(f"{price} {tilapia} 320/kg Kisumu")
    assert two in juma.send(f"{price} {tilapia}")[0]


@pytest.mark.parametrize("lang", WORDS)
def test_price_alone_asks_for_the_product_in_each_language(chat, factory, network, lang):
    price, _, _, _, tilapia = WORDS[lang]
    speak(factory, JUMA, lang)
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    juma = chat(JUMA)
    assert juma.send(price) == [as_sms(translate(
        lang, "Which product? Send its name, and a market if you like, e.g. tilapia Kisumu."))]
    [answer] = juma.send(f"{tilapia} Kisumu")
    assert answer.endswith(as_sms(f"Kisumu 300 ({day(lang)})"))


@pytest.mark.parametrize("lang", WORDS)
def test_coordinator_publishes_and_rejects_held_reports_in_each_language(chat, factory, network,
                                                                         lang):
    price, _, yes, no, tilapia = WORDS[lang]
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    chat(JUMA).send("BEI sato 3000 Kisumu")
    chat(JUMA).send("BEI sato 20 Kisumu")
    (first, *_), (second, *_) = reports(factory)
    speak(factory, GRACE, lang)
    grace = chat(GRACE)
    assert grace.send(f"{price} {yes} {first}") == [
        as_sms(translate(lang, "Price report {code} is published.", code=str(first)))]
    assert grace.send(f"{price} {no} {second}") == [
        as_sms(translate(lang, "Price report {code} is rejected.", code=str(second)))]
    assert [r[3] for r in reports(factory)] == ["published", "rejected"]
    assert audit_actions(factory) == ["price.set", "price.publish", "price.reject"]
    assert notices_to(factory, JUMA) == [
        translate("sw", price_handlers.CHECKED, product="sato", amount="3,000", currency="KES",
                  unit="kg"),
        translate("sw", price_handlers.NOT_PUBLISHED, product="sato", amount="20", currency="KES",
                  unit="kg")]


def test_member_asks_price_on_telegram(chat, factory, network):
    join(factory, network, telegram_id=5550001, name="Tomás", language="pt", role="trader")
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    tomas = chat("5550001", style="telegram")
    [reply] = tomas.send("/price tilapia")
    assert reply == f"Preços de tilápia, KES/kg:\nKisumu 300 ({day('pt')})"  # no SMS budget cut


def test_coordinator_picks_held_report_with_telegram_button(chat, factory, network):
    join(factory, network, telegram_id=5550003, name="Grace T", language="en", role="trader",
         coordinator=True)
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    chat(JUMA).send("BEI sato 3000 Kisumu")
    [report_id, *_] = reports(factory)[0]
    grace = chat("5550003", style="telegram")
    [question] = grace.send("/price yes")
    assert question == f"Which price report?\n[{report_id}: tilapia 3,000]"  # in her language
    assert grace.press(1) == [f"Price report {report_id} is published."]


# --- Refusals -----------------------------------------------------------------------------------

def test_member_who_is_not_coordinator_cannot_set_price(chat, factory, network):
    assert chat(JUMA).send("BEI WEKA sato 120/kg Kisumu") == [translate("sw", REFUSAL)]
    assert official(factory) == [] and audit_actions(factory) == []


def test_coordinator_of_another_cluster_cannot_set_price_there(chat, factory, network, homa_bay):
    join(factory, homa_bay, TOMAS, name="Tomas", role="trader", coordinator=True)
    assert chat(TOMAS).send("PRICE SET kisumu-fish tilapia 120/kg Kisumu") == [REFUSAL]
    assert official(factory) == [] and audit_actions(factory) == []


def test_coordinator_of_another_cluster_cannot_check_its_reports(chat, factory, network, homa_bay):
    join(factory, homa_bay, TOMAS, name="Tomas", role="trader", coordinator=True)
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    chat(JUMA).send("BEI sato 3000 Kisumu")
    [(report_id, *_)] = reports(factory)
    assert chat(TOMAS).send(f"PRICE YES {report_id}") == [REFUSAL]
    assert chat(JUMA).send(f"BEI NDIYO {report_id}") == [translate("sw", REFUSAL)]
    assert reports(factory)[0][3] == "held"


def test_coordinator_of_two_clusters_is_asked_which(chat, factory, network, homa_bay):
    with unit_of_work(factory) as session:
        members.add_role(session, members.find(session, phone=GRACE), homa_bay.id, "coordinator")
    grace = chat(GRACE)
    [question] = grace.send("PRICE SET tilapia 120/kg Kisumu")
    assert question.startswith("Which cluster is this price for?\n1) Kisumu Fish 2) Homa Bay Fish")
    assert grace.send("2")[0].startswith("Official price saved: tilapia 120 KES/kg, Kisumu")
    with unit_of_work(factory) as session:
        assert session.scalar(select(OfficialPrice.cluster_id)) == homa_bay.id


def test_coordinator_names_the_cluster_in_the_command(chat, factory, network, homa_bay):
    with unit_of_work(factory) as session:
        members.add_role(session, members.find(session, phone=GRACE), homa_bay.id, "coordinator")
    chat(GRACE).send("PRICE SET homa-bay tilapia 125/kg")
    with unit_of_work(factory) as session:
        row = session.scalar(select(OfficialPrice))
        assert (row.cluster_id, row.market, row.amount) == (homa_bay.id, "Homa Bay Fish", 125.0)


# --- Half commands and bad input ----------------------------------------------------------------

def test_price_set_without_price_asks_for_it(chat, factory, network):
    grace = chat(GRACE)
    assert grace.send("PRICE SET tilapia") == ["What is the price of tilapia? Send e.g. 120/kg."]
    assert official(factory) == []
    assert grace.send("1,480/10kg Kisumu")[0].startswith("Official price saved: tilapia 148 KES/kg")


def test_price_set_alone_asks_for_product_and_price(chat, factory, network):
    grace = chat(GRACE)
    assert grace.send("PRICE SET") == [
        "Send the product, the price per unit and the market, e.g. tilapia 120/kg Kisumu."]
    assert grace.send("omena")[0] == "What is the price of omena? Send e.g. 120/kg."
    assert grace.send("95")[0].startswith("Official price saved: omena 95 KES/kg, Kisumu Fish")


def test_price_set_with_words_for_price_asks_again_and_writes_nothing(chat, factory, network):
    grace = chat(GRACE)
    assert grace.send("PRICE SET tilapia abc") == [
        '"abc" is not a price.\nWhat is the price of tilapia? Send e.g. 120/kg.']
    assert grace.send("0") == [
        "The price must be more than 0.\nWhat is the price of tilapia? Send e.g. 120/kg."]
    assert official(factory) == [] and audit_actions(factory) == []


@pytest.mark.parametrize(("text", "hint"), [
    ("PRICE SET tilapia 0/kg Kisumu", "The price must be more than 0."),
    ("PRICE SET tilapia 1000000000000/kg", "That price is too high. Please check it and send it again."),
    ("PRICE SET tilapia 120/l", "Please give the price per kg, e.g. 120/kg."),
    ("PRICE SET tilapia 2500/bag", "Please give the price per kg, e.g. 120/kg."),
    ("PRICE SET 🐟 120/kg", 'I do not know the product "🐟". Send e.g. PRICE tilapia.'),
    ("PRICE SET '; DROP TABLE official_prices; -- 120/kg",
     'I do not know the product "\'; DROP TABLE official_pric...". Send e.g. PRICE tilapia.'),
    ("PRICE tilapia 120/kg Atlantis", 'I do not know the market "Atlantis". Send a town or '
                                      "market name, e.g. Kisumu."),
    ("PRICE " + "x" * 10_000, 'I do not know the product "xxxxxxxxxxxxxxxxxxxxxxxxxxx...". '
                              "Send e.g. PRICE tilapia."),
])
def test_bad_input_gets_a_hint_and_writes_nothing(chat, factory, network, text, hint):
    assert chat(GRACE).send(text) == [hint]
    assert official(factory) == [] and reports(factory) == [] and audit_actions(factory) == []


@pytest.mark.parametrize("text", ["PRICE tilapia 120 per kg at Kibuye", "BEI sato 120 sokoni Kibuye",
                                  "PRIX tilapia 120 le kg au marché Kibuye", "PRECO tilápia 120 em Kibuye"])
def test_words_before_the_market_are_not_part_of_its_name(chat, factory, network, text):
    chat(JUMA).send(text)
    assert [r[1:] for r in reports(factory)] == [("Kibuye (Kisumu)", 120.0, "published")]


def test_report_without_market_is_taken_at_the_members_place(chat, factory, network):
    assert chat(JUMA).send("BEI sato 280") == [translate(
        "sw", REPORTED, product="sato", amount="280", currency="KES", unit="kg", place="Kisumu")]


def test_report_without_market_asks_for_it_when_member_has_no_known_place(chat, factory, network):
    join(factory, network, TOMAS, name="Tomas", place="Somewhere far")
    tomas = chat(TOMAS)
    assert tomas.send("PRICE tilapia 280") == ["Which market is this price from?"]
    assert tomas.send("Atlantis") == ['I do not know the market "Atlantis". Send a town or market '
                                      "name, e.g. Kisumu.\nWhich market is this price from?"]
    assert reports(factory) == []
    assert tomas.send("Kibuye")[0].endswith("Kibuye (Kisumu).")


def test_unregistered_member_cannot_report(chat, factory, network):
    assert chat(TOMAS).send("PRICE tilapia 280 Kisumu") == [
        "You are not registered yet. Send JOIN to register."]
    assert reports(factory) == []


def test_products_and_markets_are_matched_in_any_language_with_typos(chat, factory, network):
    set_price(chat, "PRICE SET sato 300/kg Kisumu")  # Grace writes in English, the name in Swahili
    amina = chat(AMINA)
    assert amina.send("PRIX tilapa")[0].endswith(f"Kisumu 300 ({day('fr')})")
    assert amina.send("PRIX tilapia Kisumo") == [
        translate("fr", "Did you mean one of these?") + "\n1) Kisumu"]
    assert amina.send("1")[0].endswith(f"Kisumu 300 ({day('fr')})")


def test_unknown_market_of_a_coordinator_becomes_a_place_of_the_cluster(chat, factory, network):
    assert set_price(chat, "PRICE SET omena 90/kg Dunga Beach")[0].startswith(
        "Official price saved: omena 90 KES/kg, Dunga Beach")
    assert chat(JUMA).send("BEI dagaa Dunga Beach")[0].endswith(f"Dunga Beach 90 ({day('sw')})")


def test_no_prices_yet_says_how_to_report_one(chat, factory, network):
    assert chat(JUMA).send("BEI mahindi") == [
        "Bado hakuna bei za mahindi. Kuripoti bei, tuma k.m. BEI mahindi 120/kg Kisumu"]


# --- Changes over time ----------------------------------------------------------------------------

def test_answer_shows_change_since_last_week(chat, factory, network, saturday):
    saturday.move_to(SATURDAY - timedelta(days=8))
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    saturday.move_to(SATURDAY - timedelta(days=1))
    set_price(chat, "PRICE SET tilapia 330/kg Kisumu")
    saturday.move_to(SATURDAY)
    [reply] = chat(TOMAS).send("PRICE tilapia Kisumu")
    assert reply == "Tilapia prices, KES/kg:\nKisumu 330 (27 Nov, +10% since last week)"


def test_old_price_shows_its_date_and_no_change(chat, factory, network, saturday):
    saturday.move_to(datetime(2025, 3, 15, 10, tzinfo=NAIROBI))
    set_price(chat, "PRICE SET tilapia 280/kg Kisumu")
    saturday.move_to(SATURDAY)
    assert chat(TOMAS).send("PRICE tilapia") == [
        "Tilapia prices, KES/kg:\nKisumu 280 (15 Mar 2025)"]


def test_members_median_counts_reports_of_the_last_seven_days(chat, factory, network, saturday):
    join(factory, network, TOMAS, name="Tomas")
    saturday.move_to(SATURDAY - timedelta(days=10))
    for phone, text in ((JUMA, "BEI sato 200"), (AMINA, "PRIX tilapia 220")):
        chat(phone).send(text)
    saturday.move_to(SATURDAY - timedelta(days=2))
    for phone, text in ((JUMA, "BEI sato 230"), (AMINA, "PRIX tilapia 260"),
                        (TOMAS, "PRICE tilapia 250")):
        chat(phone).send(text)
    saturday.move_to(SATURDAY)
    assert chat(GRACE).send("PRICE tilapia") == [
        "Tilapia prices, KES/kg:\n"
        "Members: 250, median of 3 reports in 7 days, +19% since last week"]


def test_long_answer_fits_two_sms_and_says_how_many_more(chat, factory, network):
    names = ["Kisumu", "Kibuye (Kisumu)", "Kongowea (Mombasa)", "Wakulima (Nairobi)",
             "Wakulima (Nakuru)", "Kitui town (Kitui)", "Garissa town (Garissa)", "Kilifi",
             "Mandera", "Marsabit town", "Wote town (Makueni)", "Kitengela (Kajiado)",
             "Isiolo town", "Wajir town", "Lodwar town", "Eldoret town (Uasin Gishu)"]
    with unit_of_work(factory) as session:
        maize = session.scalar(select(Product.id).where(Product.slug == "maize"))
        for place in session.scalars(select(Place).where(Place.name.in_(names))):
            prices.add_official(session, cluster_id=network.id, country="KE", product_id=maize,
                                place_id=place.id, market=place.name, amount=45, unit="kg",
                                currency="KES", observed_on=SATURDAY.date(), source="coordinator")
    [reply] = chat(JUMA).send("BEI mahindi")
    assert count_segments(reply) <= 2
    shown = reply.count("(28 Nov)")
    assert 3 <= shown < len(names)
    assert f"+{len(names) - shown} zaidi. Uliza soko moja, k.m. BEI mahindi " in reply


# --- Held reports -------------------------------------------------------------------------------

def test_report_far_from_usual_is_held_and_coordinators_are_told(chat, factory, network):
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    assert chat(AMINA).send("PRIX tilapia 30/kg") == [translate(
        "fr", "Thank you. {amount} {currency}/{unit} for {product} is far from the usual {usual}, "
              "so a coordinator will check it first.",
        amount="30", currency="KES", unit="kg", product="tilapia", usual="300")]
    [(report_id, _, _, status)] = reports(factory)
    assert status == "held"
    assert notices_to(factory, GRACE) == [
        f"Price report {report_id} held: tilapia 30 KES/kg at Kisumu from Amina, usually 300. "
        f"Send PRICE YES {report_id} to publish it or PRICE NO {report_id} to reject it."]
    assert "Members" not in chat(JUMA).send("BEI sato")[0]  # held reports are not counted


def test_reports_near_the_usual_are_published(chat, factory, network):
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    for text in ("PRICE tilapia 101/kg", "PRICE tilapia 899/kg"):
        chat(GRACE).send(text)
    assert [r[3] for r in reports(factory)] == ["published", "published"]


def test_check_without_code_when_nothing_waits(chat, factory, network):
    assert chat(GRACE).send("PRICE OK") == ["No price reports are waiting for a check."]
    assert chat(GRACE).send("PRICE NO 999") == ["No held price report has the code 999."]


# --- Alerts -------------------------------------------------------------------------------------

def test_members_are_alerted_in_their_language_when_price_moves_over_ten_percent(
        chat, factory, network):
    join(factory, network, TOMAS, name="Tomas", language="pt")
    with unit_of_work(factory) as session:
        members.find(session, phone=TOMAS).opted_out = True
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    set_price(chat, "PRICE SET tilapia 320/kg Kisumu")  # +7%: no alert
    assert notices_to(factory, JUMA) == []
    set_price(chat, "PRICE SET tilapia 360/kg Kisumu")  # +12.5%
    assert notices_to(factory, JUMA) == [
        "Tahadhari ya bei: sato Kisumu sasa ni 360 KES/kg, +12% tangu 28 Nov."]
    assert notices_to(factory, AMINA) == [
        "Alerte prix : tilapia à Kisumu est à 360 KES/kg, +12% depuis le 28 nov.."]
    assert notices_to(factory, TOMAS) == [] and notices_to(factory, GRACE) == []


def test_price_older_than_a_month_is_history_not_an_alert(chat, factory, network, saturday):
    saturday.move_to(SATURDAY - timedelta(days=40))
    set_price(chat, "PRICE SET tilapia 200/kg Kisumu")
    saturday.move_to(SATURDAY)
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    assert notices_to(factory, JUMA) == []


def test_cluster_alert_percent_is_respected(chat, factory, network):
    with unit_of_work(factory) as session:
        prices.save_settings(session, network.id, alert_percent=25)
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    set_price(chat, "PRICE SET tilapia 360/kg Kisumu")
    assert notices_to(factory, JUMA) == []


def test_members_are_alerted_when_reports_median_moves(chat, factory, network):
    join(factory, network, TOMAS, name="Tomas")
    for phone, text in ((JUMA, "BEI sato 200"), (AMINA, "PRIX tilapia 200"),
                        (TOMAS, "PRICE tilapia 200")):
        chat(phone).send(text)
    assert notices_to(factory, GRACE) == []  # the first median is the baseline
    for phone, text in ((JUMA, "BEI sato 260"), (AMINA, "PRIX tilapia 260")):
        chat(phone).send(text)
    assert notices_to(factory, GRACE) == []  # the median of 200 200 200 260 260 is still 200
    chat(TOMAS).send("PRICE tilapia 260")
    assert notices_to(factory, TOMAS) == []  # not to the one who moved it
    assert notices_to(factory, GRACE) == [
        "Price alert: members now report tilapia at 230 KES/kg, +15%."]


# --- Weekly digest ------------------------------------------------------------------------------

def send_digests(factory, when):
    with time_machine.travel(when, tick=False), unit_of_work(factory) as session:
        return price_handlers.send_digests(session, datetime.now(timezone.utc))


def test_weekly_digest_goes_monday_morning_once(chat, factory, network):
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    set_price(chat, "PRICE SET omena 95/kg Kisumu")
    chat(AMINA).send("PRIX tilapia 310")
    monday = datetime(2026, 11, 30, 7, 0, tzinfo=NAIROBI)
    assert send_digests(factory, monday - timedelta(minutes=1)) == 0
    assert send_digests(factory, monday + timedelta(minutes=5)) == 1
    assert send_digests(factory, monday + timedelta(hours=1)) == 0  # a second run sends nothing
    assert notices_to(factory, JUMA) == [
        "Bei za wiki, Kisumu Fish (KES):\n"
        "sato (kg): 300 Kisumu (28 Nov), wanachama 310\ndagaa (kg): 95 Kisumu (28 Nov)"]
    assert notices_to(factory, AMINA) == [
        "Prix de la semaine, Kisumu Fish (KES) :\ntilapia (kg): 300 Kisumu (28 nov.), membres 310"]
    assert send_digests(factory, monday + timedelta(days=7, minutes=5)) == 1
    assert len(notices_to(factory, JUMA)) == 2


def test_digest_is_not_sent_to_opted_out_members_or_without_prices(chat, factory, network):
    set_price(chat, "PRICE SET omena 95/kg Kisumu")
    with unit_of_work(factory) as session:
        members.find(session, phone=JUMA).opted_out = True
    assert send_digests(factory, datetime(2026, 11, 30, 8, 0, tzinfo=NAIROBI)) == 1
    assert notices_to(factory, JUMA) == [] and notices_to(factory, AMINA) == []  # no tilapia price
    with unit_of_work(factory) as session:
        assert session.scalar(select(PriceDigest.recipients)) == 0


def test_digest_late_after_downtime_goes_within_grace_only(chat, factory, network):
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    assert send_digests(factory, datetime(2026, 12, 3, 12, 0, tzinfo=NAIROBI)) == 0  # Thursday
    assert send_digests(factory, datetime(2026, 12, 2, 12, 0, tzinfo=NAIROBI)) == 1  # Wednesday


def test_digest_day_and_hour_follow_the_cluster_setting(chat, factory, network):
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    with unit_of_work(factory) as session:
        prices.save_settings(session, network.id, digest_day=4, digest_hour=18)  # Friday 18:00
    assert send_digests(factory, datetime(2026, 12, 4, 17, 59, tzinfo=NAIROBI)) == 0
    assert send_digests(factory, datetime(2026, 12, 4, 18, 30, tzinfo=NAIROBI)) == 1


def test_digest_job_is_scheduled_and_uses_the_configured_database(factory, job_database, network,
                                                                  chat):
    assert ("prices-digest", "handlers.prices:digest_job",
            {"trigger": "cron", "minute": 5}) in scheduler.periodic_jobs()
    set_price(chat, "PRICE SET tilapia 300/kg Kisumu")
    with time_machine.travel(datetime(2026, 11, 30, 7, 5, tzinfo=NAIROBI), tick=False):
        price_handlers.digest_job()
        price_handlers.digest_job()
    assert len(notices_to(factory, JUMA)) == 1


# --- Import of price history --------------------------------------------------------------------

def wfp_price(factory, market, commodity_key, observed_on) -> list[tuple]:
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(OfficialPrice.amount, OfficialPrice.unit, OfficialPrice.price_type)
            .where(OfficialPrice.market == market, OfficialPrice.observed_on == observed_on,
                   OfficialPrice.source_key.contains(commodity_key)))
        return [(round(amount, 4), unit, kind) for amount, unit, kind in rows]


def test_wfp_history_loads_with_prices_per_base_unit(clusterbot, factory, network):
    file = DATA / "wfp_kenya_food_prices.csv"  # 135 of the 10,647 rows: tests/data/SOURCES.md
    result = clusterbot("prices", "import", str(file))
    assert result.exit_code == 0, result.output
    assert result.stdout == "loaded 128, updated 0, unchanged 0, skipped 7\n"
    assert "line 27: unit '400 G' cannot be converted to piece (the unit of bread)" in result.stderr
    assert result.stderr.count("unit 'Head' cannot be converted to kg") == 3
    assert result.stderr.count("unit 'Bunch' cannot be converted to kg") == 3
    assert wfp_price(factory, "Mombasa", "|Maize (white)|90 KG|", date(2006, 1, 15)) == [
        (round(1480 / 90, 4), "kg", "wholesale")]
    assert wfp_price(factory, "Kisumu", "|Maize|KG|", date(2022, 2, 15)) == [(35.59, "kg", "wholesale")]
    assert wfp_price(factory, "Kitui", "|Potatoes (Irish)|50 KG|", date(2006, 1, 15)) == [
        (round(1249.99 / 50, 4), "kg", "wholesale")]
    again = clusterbot("prices", "import", str(file))
    assert again.stdout == "loaded 0, updated 0, unchanged 128, skipped 7\n"
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(OfficialPrice)) == 128
    # "latest" is the latest available: Kisumu's maize of February 2022.
    assert chat_reply(factory, network, "PRICE maize Kisumu") == [
        "Maize prices, KES/kg:\nKisumu 35.59 wholesale (15 Feb 2022)"]


def chat_reply(factory, cluster, text):
    from bot.channels.console import Console
    from bot.engine import Engine
    return Console(Engine(factory, get_settings()), factory, GRACE).send(text)


def test_import_reports_bad_rows_by_line_and_loads_the_rest(clusterbot, factory, network):
    result = clusterbot("prices", "import", str(DATA / "prices_mixed.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "loaded 3, updated 0, unchanged 0, skipped 6\n"
    assert result.stderr.splitlines() == [
        "line 4: commodity 'Caviar' is not mapped to a catalog product",
        "line 5: market 'Atlantis' is not in the gazetteer",
        "line 6: date '15/01/2024' is not YYYY-MM-DD",
        "line 7: price 'abc' is not a number",
        "line 8: price '0' is not a positive amount",
        "line 9: repeats line 2",
    ]
    assert wfp_price(factory, "Kibuye (Kisumu)", "|Maize|KG|", date(2024, 1, 15)) == [
        (50.0, "kg", "retail")]
    assert wfp_price(factory, "Kisumu", "|Oil (vegetable)|L|", date(2024, 1, 15)) == [
        (300.0, "l", "retail")]
    assert audit_actions(factory) == ["prices.import"]


def test_import_updates_a_price_that_changed(clusterbot, factory, network, tmp_path):
    file = tmp_path / "prices.csv"
    header = "date,market,commodity,unit,priceflag,pricetype,currency,price\n"
    file.write_text(header + "2024-01-15,Kisumu,Maize,KG,actual,Retail,KES,50\n")
    clusterbot("prices", "import", str(file))
    file.write_text(header + "2024-01-15,Kisumu,Maize,KG,actual,Retail,KES,55\n")
    assert clusterbot("prices", "import", str(file)).stdout == (
        "loaded 0, updated 1, unchanged 0, skipped 0\n")
    assert official(factory)[0][1] == 55.0


def test_import_fails_when_header_lacks_columns(clusterbot, tmp_path):
    file = tmp_path / "prices.csv"
    file.write_text("date,market,price\n2024-01-15,Kisumu,50\n")
    result = clusterbot("prices", "import", str(file))
    assert result.exit_code == 1
    assert "missing: commodity,unit,pricetype,currency" in result.stderr


def test_import_exits_2_when_file_is_missing(clusterbot, tmp_path):
    assert clusterbot("prices", "import", str(tmp_path / "none.csv")).exit_code == 2


def test_settings_command_shows_and_changes_cluster_settings(clusterbot, factory, network):
    assert clusterbot("prices", "settings", "kisumu-fish").stdout == (
        "kisumu-fish: alert at 10%, digest on mon at 07:00 Africa/Nairobi\n")
    changed = clusterbot("prices", "settings", "kisumu-fish", "--alert-percent", "15",
                         "--digest-day", "friday", "--digest-hour", "18")
    assert changed.stdout == "kisumu-fish: alert at 15%, digest on fri at 18:00 Africa/Nairobi\n"
    assert audit_actions(factory) == ["prices.settings"]
    assert clusterbot("prices", "settings", "nowhere").exit_code == 1
    assert clusterbot("prices", "settings", "kisumu-fish", "--digest-day", "someday").exit_code == 2
