"""Marketplace end to end: the issue's examples over signed Twilio webhooks and Telegram updates,
matches told to the other side on their own channel, introductions by YES from both."""
import pytest
from live import TelegramUser, sms_and_wait, sms_to, wait_for
from scenes import AMINA, JUMA
from sqlalchemy import select

from locales.i18n import translate
from storage import products
from storage.db import unit_of_work
from storage.market import Listing, MarketMatch
from storage.models import Cluster, Member, MemberProduct, Membership, Place

BARAKA = "+254722000010"
TOMAS_TG, WANJIRU_TG = 4242, 4343


@pytest.fixture
def traders(app_url, factory):
    """Juma (sw, SMS), Amina (fr, SMS) and Baraka (en, SMS) in Kisumu Fish; Tomás (en) and
    Wanjiru (sw) on Telegram."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        kisumu = session.scalar(select(Place).where(Place.name == "Kisumu"))
        for phone, telegram_id, name, language, username in (
                (JUMA, None, "Juma", "sw", None), (AMINA, None, "Amina", "fr", None),
                (BARAKA, None, "Baraka", "en", None),
                (None, TOMAS_TG, "Tomás", "en", "tomas_kikapu"),
                (None, WANJIRU_TG, "Wanjiru", "sw", "wanjiru_w")):
            member = Member(phone=phone, telegram_id=telegram_id, telegram_username=username,
                            name=name, language=language, language_chosen=True, registered=True,
                            place_name="Kisumu", place_id=kisumu.id)
            member.memberships.append(Membership(cluster_id=cluster.id, role="trader"))
            member.products.append(MemberProduct(
                product_id=products.by_slug(session, "baskets").id, raw_name="baskets"))
            session.add(member)
    return app_url


def listings(factory):
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(Listing).order_by(Listing.id)))
        session.expunge_all()
        return rows


def codes(factory):
    with unit_of_work(factory) as session:
        return [m.code for m in session.scalars(select(MarketMatch).order_by(MarketMatch.id))]


EXAMPLES = [
    (JUMA, "SELL tilapia 50kg 120/kg Kisumu", "tilapia", 50, 120),
    (JUMA, "UZA tilapia kilo 100 bei 280 Kisumu", "tilapia", 100, 280),
    (BARAKA, "SELL 50kg tilapia at 300 per kg in Kisumu", "tilapia", 50, 300),
    (BARAKA, "BUY maize 500kg max 45/kg Eldoret", "maize", 500, 45),
    (AMINA, "VENDRE maïs 500kg 40/kg Eldoret", "maize", 500, 40),
]


def test_examples_over_sms_post_and_match(twilio, traders, factory):
    for sender, text, *_ in EXAMPLES:
        sms_and_wait(twilio, traders, sender, text)
    saved = [(listing.product_name.lower(), listing.quantity, listing.price)
             for listing in listings(factory)]
    assert saved == [(text.split()[1 if text.split()[1][0].isalpha() else 2].lower(), qty, price)
                     for _, text, _, qty, price in EXAMPLES]
    # Amina's maize at 40/kg fits Baraka's request (at most 45/kg, Eldoret): both are told.
    [code] = codes(factory)
    wait_for(lambda: any(f"{code} 500kg max. KES 45/kg Eldoret town" in text
                         for text in sms_to(twilio, AMINA)))
    baraka = wait_for(lambda: [t for t in sms_to(twilio, BARAKA) if code in t])
    assert baraka[0].startswith("Seller for your request #2: maize 500kg, KES 40/kg")


def test_introduction_over_sms_shares_numbers_after_both_say_yes(twilio, traders, factory):
    sms_and_wait(twilio, traders, JUMA, "UZA sato 100kg 120/kg Kisumu")
    sms_and_wait(twilio, traders, AMINA, "ACHETER tilapia 80kg max 130/kg Kisumu", replies=2)
    [code] = codes(factory)
    notice = wait_for(lambda: [t for t in sms_to(twilio, JUMA) if code in t])[0]
    assert notice.startswith("Mnunuzi wa toleo lako #1") and AMINA not in notice
    [waiting] = sms_and_wait(twilio, traders, AMINA, f"OUI {code}")
    assert JUMA not in waiting
    [introduced] = sms_and_wait(twilio, traders, JUMA, f"NDIYO {code}")
    assert introduced.startswith("Mnunuzi Amina: " + AMINA)
    to_amina = wait_for(lambda: [t for t in sms_to(twilio, AMINA) if JUMA in t])
    assert to_amina[0].startswith("Vendeur Juma : " + JUMA)


def test_bad_listing_over_sms_gets_a_hint_and_creates_nothing(twilio, traders, factory):
    [reply] = sms_and_wait(twilio, traders, BARAKA, "SELL tilapia 50kg abc/kg Kisumu")
    assert reply.startswith(translate("en", "Please send the price as a number, e.g. 120 or "
                                            "120/kg."))
    assert listings(factory) == []


def test_examples_over_telegram_post_and_match(telegram_api, traders, factory):
    tomas = TelegramUser(telegram_api, traders, TOMAS_TG)
    wanjiru = TelegramUser(telegram_api, traders, WANJIRU_TG)
    for text in ("SELL tilapia 50kg 120/kg Kisumu", "SELL 50kg tilapia at 300 per kg in Kisumu",
                 "BUY maize 500kg max 45/kg Eldoret"):
        [posted] = tomas.send(text)
        assert posted.text.startswith("Posted #")
    wanjiru.send("UZA tilapia kilo 100 bei 280 Kisumu")
    posted, found = wanjiru.send("VENDRE maïs 500kg 40/kg Eldoret", replies=2)
    assert posted.text.startswith("Imewekwa #2: mahindi 500kg, KES 40/kg, Eldoret town")
    [code] = codes(factory)
    assert f"{code} 500kg hadi KES 45/kg Eldoret town" in found.text  # a buyer's maximum
    notice = wait_for(lambda: [m for m in tomas.received() if code in m.text])[0]
    assert notice.text.startswith("Seller for your request #3: maize 500kg, KES 40/kg")
    tomas.send(f"YES {code}")
    [introduced] = wanjiru.send(f"NDIYO {code}")
    assert "Telegram @tomas_kikapu" in introduced.text


def test_missing_parts_are_asked_with_telegram_buttons(telegram_api, traders, factory):
    tomas = TelegramUser(telegram_api, traders, TOMAS_TG)
    [question] = tomas.send("/sell")
    assert question.text == translate("en", "What do you want to sell? Send the product, e.g. "
                                            "tilapia.")
    [quantity] = tomas.press("baskets")
    assert quantity.text.startswith("How much baskets?")
    [price] = tomas.send("20 pcs")
    assert [b["text"] for row in price.reply_markup["inline_keyboard"] for b in row] == [
        "Negotiable"]
    [place] = tomas.press("Negotiable")
    [posted] = tomas.press("Kisumu")
    assert posted.text.startswith("Posted #1: baskets 20 pcs, price negotiable, Kisumu")
    [listing] = listings(factory)
    assert (listing.unit, listing.quantity, listing.price) == ("piece", 20, None)


ALIASES = [
    ("SELL tilapa 20kg 2400 total Kisumu", "tilapia", 120),
    ("UZA dagaa kilo 100 bei 90 Kisumu", "omena", 90),
    ("UZA sangara 30kg 400/kg Kibuye", "nile_perch", 400),
    ("UZA sukuma wiki 40kg 30/kg Kisumu", "kale", 30),
    ("SELL vikapu 20 pcs 300 each Kisumu", "baskets", 300),
]


def slugs_and_prices(factory):
    with unit_of_work(factory) as session:
        return [(session.get(products.Product, listing.product_id).slug, listing.price)
                for listing in session.scalars(select(Listing).order_by(Listing.id))]


def test_product_names_and_typos_over_sms_are_catalog_products(twilio, traders, factory):
    for text, *_ in ALIASES:
        [reply] = sms_and_wait(twilio, traders, JUMA, text)
        assert reply.startswith("Imewekwa #")
    assert slugs_and_prices(factory) == [(slug, price) for _, slug, price in ALIASES]


def test_product_names_and_typos_over_telegram_are_catalog_products(telegram_api, traders,
                                                                    factory):
    wanjiru = TelegramUser(telegram_api, traders, WANJIRU_TG)
    for text, *_ in ALIASES:
        [posted] = wanjiru.send(text)
        assert posted.text.startswith("Imewekwa #")
    assert slugs_and_prices(factory) == [(slug, price) for _, slug, price in ALIASES]


@pytest.mark.parametrize(("text", "hint"), [
    ("SELL tilapia 50kg abc/kg Kisumu", "Please send the price as a number, e.g. 120 or 120/kg."),
    ("SELL tilapia 0kg 120/kg Kisumu",
     "Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    ("SELL tilapia 10^12kg 120/kg Kisumu",
     "Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    ("SELL tilapia 50 zorks 120/kg Kisumu",
     'I do not know the unit "{unit}". Use kg, g, t, l, ml, pcs, crates or bags.'),
    ("SELL 🐟 50kg 120/kg Kisumu", "Please write the product name in letters, e.g. tilapia."),
])
def test_bad_part_over_sms_and_telegram_gets_a_hint_and_creates_nothing(
        twilio, telegram_api, traders, factory, text, hint):
    [reply] = sms_and_wait(twilio, traders, BARAKA, text)
    assert reply.startswith(translate("en", hint, unit="zorks"))
    [posted] = TelegramUser(telegram_api, traders, TOMAS_TG).send(text)
    assert posted.text.startswith(translate("en", hint, unit="zorks"))
    assert listings(factory) == [] and codes(factory) == []


def test_member_who_sent_stop_is_never_matched_nor_told(twilio, traders, factory):
    sms_and_wait(twilio, traders, JUMA, "UZA sato 100kg 120/kg Kisumu")
    sms_and_wait(twilio, traders, JUMA, "STOP")
    told = len(sms_to(twilio, JUMA))
    [posted] = sms_and_wait(twilio, traders, AMINA, "ACHETER tilapia 80kg max 130/kg Kisumu")
    assert posted.startswith("Publié #1") and codes(factory) == []
    assert len(sms_to(twilio, JUMA)) == told


def test_offer_over_telegram_completes_a_group_told_by_sms_once(twilio, telegram_api, traders,
                                                                 factory):
    sms_and_wait(twilio, traders, AMINA, "ACHETER tilapia 200kg max 130/kg Kisumu")
    sms_and_wait(twilio, traders, JUMA, "UZA sato 80kg 120/kg Kisumu", replies=2)
    sms_and_wait(twilio, traders, BARAKA, "SELL tilapia 70kg 110/kg Kisumu", replies=2)
    tomas = TelegramUser(telegram_api, traders, TOMAS_TG)
    tomas.send("SELL tilapia 60kg 100/kg Kisumu", replies=2)
    [group] = wait_for(lambda: [t for t in sms_to(twilio, AMINA)
                                if t.startswith("Une nouvelle offre complète votre demande #1")])
    assert "210kg, KES 23 300" in group  # French digits
    juma_code, baraka_code, tomas_code = codes(factory)
    assert all(code in group for code in (juma_code, baraka_code, tomas_code))
    sms_and_wait(twilio, traders, AMINA, f"OUI {tomas_code}")
    [introduced] = tomas.send(f"YES {tomas_code}")
    assert introduced.text.startswith("Buyer Amina: " + AMINA)
    TelegramUser(telegram_api, traders, WANJIRU_TG).send("UZA sato 50kg 90/kg Kisumu", replies=2)
    wait_for(lambda: [t for t in sms_to(twilio, AMINA)
                      if t.startswith("Vendeur pour votre demande #1 : tilapia 50kg")])
    assert sum(t.startswith("Une nouvelle offre") for t in sms_to(twilio, AMINA)) == 1
