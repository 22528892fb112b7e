"""Marketplace scenes: Juma sells fish, Amina buys it, Tomás trades baskets; matches, introductions,
bulking, expiry and deals, in Swahili, French and English."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from labelled import labelled_pairs, measure
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, lamu_crafts, outbox
from sqlalchemy import func, select

from handlers.market.bulk import GROUP_COMPLETED
from handlers.market.deals import follow_up
from handlers.market.reminders import remind_and_expire
from locales.i18n import translate
from storage import clusters, market, members, products
from storage.db import unit_of_work
from storage.market import Listing, MarketDeal, MarketMatch
from storage.models import Member, Membership

OTHER = "+254722000009"
NO_MATCH = ("Posted #{number}: {listing}, until {until}. No match yet: we will tell you when one "
            "comes.")
FAR = "+254722000010"
OUTSIDER = "+254722000011"


@pytest.fixture
def network(factory, kisumu):
    """Kisumu Fish: Juma (fisher, sw, Kisumu), Amina (processor, fr, Kibuye, 5 km away), Tomás
    (craftsperson, en, Telegram), Grace (coordinator, en), a Mombasa trader (en) and a member
    who opted out. Amina also belongs to Lamu Crafts, as does an outsider."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        lamu = lamu_crafts(session)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu",
                   product="tilapia")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina",
                           place="Kibuye (Kisumu)")
        amina.memberships.append(Membership(cluster_id=lamu.id, role="trader"))
        add_member(session, TOMAS, "craftsperson", kisumu, "en", "Tomás", place="Nairobi",
                   telegram_id=4242)
        add_member(session, GRACE, "trader", kisumu, "en", name="Grace", place="Kisumu",
                   coordinator=True)
        add_member(session, FAR, "trader", kisumu, "en", name="Baraka", place="Mombasa")
        add_member(session, OTHER, "trader", kisumu, "sw", name="Otieno", place="Kisumu",
                   opted_out=True)
        add_member(session, OUTSIDER, "trader", lamu, "en", name="Fatma", place="Kisumu")
    return factory


def listings(factory) -> list[Listing]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(Listing).order_by(Listing.id)))
        session.expunge_all()
        return rows


def matches(factory) -> list[MarketMatch]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(MarketMatch).order_by(MarketMatch.id)).unique())
        session.expunge_all()
        return rows


def notices(factory, phone=None, telegram_id=None) -> list[str]:
    """What the bot sent a member on its own (matches, introductions, reminders)."""
    address = phone or str(telegram_id)
    return [m.text for m in outbox(factory) if m.kind == "market" and m.address == address]


# --- Posting: the examples of the issue -------------------------------------------------------

@pytest.mark.parametrize(("phone", "text", "expected"), [
    (JUMA, "SELL tilapia 50kg 120/kg Kisumu", ("sell", "tilapia", 50, "kg", 120, "Kisumu")),
    (JUMA, "UZA tilapia kilo 100 bei 280 Kisumu", ("sell", "tilapia", 100, "kg", 280, "Kisumu")),
    (TOMAS, "SELL 50kg tilapia at 300 per kg in Kisumu",
     ("sell", "tilapia", 50, "kg", 300, "Kisumu")),
    (TOMAS, "BUY maize 500kg max 45/kg Eldoret",
     ("buy", "maize", 500, "kg", 45, "Eldoret town (Uasin Gishu)")),
    (AMINA, "VENDRE maïs 500kg 40/kg Eldoret",
     ("sell", "maize", 500, "kg", 40, "Eldoret town (Uasin Gishu)")),
    (JUMA, "UZA dagaa 2 tonnes 90/kg Kisumu", ("sell", "omena", 2000, "kg", 90, "Kisumu")),
    (JUMA, "UZA sangara 30kg 400/kg Kibuye", ("sell", "nile_perch", 30, "kg", 400,
                                             "Kibuye (Kisumu)")),
    (TOMAS, "SELL tilapa 20kg 2400 total Kisumu", ("sell", "tilapia", 20, "kg", 120, "Kisumu")),
    (JUMA, "UZA sukuma wiki 40kg 30/kg Kisumu", ("sell", "kale", 40, "kg", 30, "Kisumu")),
    (TOMAS, "SELL 1 tonne maize 40000 Eldoret",  # a plain price is per the unit as written
     ("sell", "maize", 1000, "kg", 40, "Eldoret town (Uasin Gishu)")),
    (JUMA, "UZA mahindi magunia 2 bei 3600 kila gunia Wakulima Nakuru",
     ("sell", "maize", 2, "bag", 3600, "Wakulima (Nakuru)")),
])
def test_one_line_listing_is_read_in_any_order_and_language(chat, network, phone, text, expected):
    reply = chat(phone).send(text)[0]
    [listing] = listings(network)
    with unit_of_work(network) as session:
        slug = session.get(products.Product, listing.product_id).slug
    assert (listing.kind, slug, listing.quantity, listing.unit, listing.price,
            listing.place_name) == expected
    assert listing.currency == "KES" and listing.number == 1
    assert reply.startswith(translate(market_lang(phone), NO_MATCH).split("#")[0])


def market_lang(phone):
    return {JUMA: "sw", AMINA: "fr", TOMAS: "en"}[phone]


def test_known_place_gets_the_gazetteer_coordinates(chat, network):
    chat(TOMAS).send("BUY maize 500kg max 45/kg Eldoret")
    [listing] = listings(network)
    assert listing.place_id is not None and round(listing.latitude, 2) == 0.52


def test_unknown_place_is_kept_as_typed(chat, network):
    chat(JUMA).send("UZA sato 10kg 200/kg Dunga")
    [listing] = listings(network)
    assert listing.place_name == "Dunga" and listing.place_id is None and listing.latitude is None


def test_unknown_product_is_kept_as_typed(chat, network):
    chat(TOMAS).send("SELL clay whistles 30 pcs 50 each Nairobi")
    [listing] = listings(network)
    assert listing.product_id is None and listing.product_name == "clay whistles"
    assert listing.unit == "piece" and listing.quantity == 30 and listing.price == 50


def test_missing_parts_are_asked_one_at_a_time(chat, network):
    juma = chat(JUMA)
    assert juma.send("UZA sato")[0] == translate(
        "sw", "How much {product}? Send the quantity and unit, e.g. 50kg.", product="sato")
    assert juma.send("50kg")[0].startswith(translate(
        "sw", "Price per {measure}? Send a number, e.g. 120.", measure="kg"))
    assert listings(network) == []
    assert juma.send("1")[0].startswith(translate("sw", "Where? Send the town or market."))
    reply = juma.send("Kisumu")[0]
    [listing] = listings(network)
    assert listing.price is None and listing.place_name == "Kisumu"
    assert translate("sw", "price negotiable") in reply


def test_bare_keyword_asks_for_the_product_with_the_members_products(chat, network):
    question = chat(JUMA).send("UZA")[0]
    assert question.startswith(translate(
        "sw", "What do you want to sell? Send the product, e.g. tilapia."))
    assert "1) sato" in question


def test_unregistered_member_is_asked_to_register(chat, network):
    with unit_of_work(network) as session:  # a language known, so the scene needs no detector
        session.add(Member(phone="+254722000099", language="en"))
    assert chat("+254722000099").send("SELL tilapia 5kg") == [
        translate("en", "Please register first: send {join}.", join="JOIN")]
    assert listings(network) == []


# --- Bad input: a hint, and nothing created ---------------------------------------------------

@pytest.mark.parametrize(("text", "hint"), [
    ("SELL tilapia 50kg abc/kg Kisumu", "Please send the price as a number, e.g. 120 or 120/kg."),
    ("SELL tilapia 0kg 120/kg Kisumu",
     "Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    ("SELL tilapia 1000000000000kg 120/kg Kisumu",
     "Please send a quantity above 0 and up to 1,000,000, e.g. 50kg."),
    ("SELL tilapia 50 zorks 120/kg Kisumu",
     'I do not know the unit "{unit}". Use kg, g, t, l, ml, pcs, crates or bags.'),
    ("SELL 🐟 50kg 120/kg Kisumu", "Please write the product name in letters, e.g. tilapia."),
])
def test_bad_part_gets_a_hint_and_creates_nothing(chat, network, text, hint):
    reply = chat(TOMAS).send(text)[0]
    assert reply.startswith(translate("en", hint, unit="zorks"))
    assert listings(network) == [] and matches(network) == []


def test_price_answer_may_start_with_the_price_word(chat, network):
    juma = chat(JUMA)
    juma.send("UZA sato kilo 50")
    assert juma.send("bei 280")[0].startswith(translate("sw", "Where? Send the town or market."))
    juma.send("Kisumu")
    [listing] = listings(network)
    assert (listing.quantity, listing.price, listing.place_name) == (50, 280, "Kisumu")


@pytest.mark.parametrize("answer", ["abc", "-5", "0", "🐟"])
def test_bad_price_answer_is_asked_again(chat, network, answer):
    tomas = chat(TOMAS)
    tomas.send("SELL tilapia 50kg")
    reply = tomas.send(answer)[0]
    assert reply.startswith(translate("en", "Please send the price as a number, e.g. 120 or "
                                            "120/kg."))
    assert listings(network) == []


@pytest.mark.parametrize("answer", ["0", "10^12", "1000000000000", "5 zorks", "lots"])
def test_bad_quantity_answer_is_asked_again(chat, network, answer):
    tomas = chat(TOMAS)
    tomas.send("SELL tilapia")
    reply = tomas.send(answer)[0]
    assert "50kg" in reply and listings(network) == []


def test_long_or_hostile_text_creates_nothing_half_done(chat, network):
    tomas = chat(TOMAS)
    reply = tomas.send("SELL " + "'; DROP TABLE market_listings; -- " * 40)
    assert reply  # answered, not crashed
    assert count_rows(network, Listing) <= 1


def count_rows(factory, model):
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).select_from(model))


# --- Matching -----------------------------------------------------------------------------------

def test_request_is_matched_and_both_sides_hear_in_their_language(chat, network):
    chat(JUMA).send("UZA tilapia kilo 100 bei 120 Kisumu")
    posted, found = chat(AMINA).send("ACHETER tilapa 80kg max 130/kg Kibuye")
    [match] = matches(network)
    assert posted.startswith("Publié #1 : tilapia 80kg, max. KES 130/kg, Kibuye")
    assert found.startswith("Correspondances pour #1 :\n")
    assert f"{match.code} 100kg KES 120/kg Kisumu 2km" in found
    [notice] = notices(network, JUMA)
    assert notice.startswith("Mnunuzi") and f"NDIYO {match.code}" in notice
    assert "sato 80kg" in notice and "Kibuye (2km)" in notice  # his language, her distance from him
    assert AMINA not in notice and JUMA not in found  # no phone number before both agree


def test_offer_is_matched_to_waiting_requests(chat, network):
    chat(AMINA).send("ACHETER tilapia 80kg max 130/kg Kibuye")
    _, found = chat(JUMA).send("UZA sato 100kg 120/kg Kisumu")
    [match] = matches(network)
    assert match.code in found
    [notice] = notices(network, AMINA)
    assert notice.startswith("Vendeur") and f"OUI {match.code}" in notice


@pytest.mark.parametrize(("offer", "wanted", "matched"), [
    ("SELL tilapia 50kg 120/kg Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", True),
    ("SELL tilapia 50kg 130/kg Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", True),
    ("SELL tilapia 50kg 131/kg Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", False),
    ("SELL tilapia 50kg Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", True),
    ("SELL tilapia 50kg 500/kg Kisumu", "ACHETER tilapia 50kg Kisumu", True),
    ("SELL omena 50kg 120/kg Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", False),
    ("SELL dagaa 50kg 120/kg Kisumu", "ACHETER omena 50kg Kisumu", True),
    ("SELL tilapia 50kg 120/kg Nakuru", "ACHETER tilapia 50kg Kisumu", False),  # ~150 km
    ("SELL tilapia 50kg 120/kg Nakuru", "ACHETER tilapia 50kg Kisumu within 200km", True),
    ("SELL tilapia 50kg 120/kg Mombasa", "ACHETER tilapia 50kg Kisumu partout", True),
    ("SELL tilapia 50kg 120/kg Dunga", "ACHETER tilapia 50kg Dunga", True),  # same unknown place
    ("SELL tilapia 50kg 120/kg Dunga", "ACHETER tilapia 50kg Kisumu", False),
    ("SELL tilapia 1.5t 120/kg Kisumu", "ACHETER tilapia 500kg max 130/kg Kisumu", True),
    ("SELL tilapia 50kg 0.12/g Kisumu", "ACHETER tilapia 50kg max 130/kg Kisumu", True),
    ("SELL tomatoes 10 crates 900 each Kisumu", "ACHETER tomates 5 crates Kisumu", True),
    ("SELL tomatoes 10 crates Kisumu", "ACHETER tomates 50kg Kisumu", False),
    ("SELL clay whistles 30 pcs Kisumu", "ACHETER whistles clay 10 pcs Kisumu", True),
    ("SELL clay whistles 30 pcs Kisumu", "ACHETER clay pots 10 pcs Kisumu", False),
])
def test_compatibility_rules(chat, network, offer, wanted, matched):
    chat(TOMAS).send(offer)
    chat(AMINA).send(wanted)
    assert len(listings(network)) == 2
    assert bool(matches(network)) is matched


def test_best_three_are_nearest_then_cheapest_then_newest(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 150/kg Kisumu")
    chat(JUMA).send("UZA tilapia 100kg 110/kg Kisumu")
    chat(JUMA).send("UZA tilapia 100kg 100/kg Nakuru")
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kibuye")
    chat(TOMAS).send("SELL tilapia 100kg 115/kg Kisumu")
    found = chat(AMINA).send("ACHETER tilapia 50kg Kisumu within 200km")[1]
    lines = [line for line in found.split("\n") if "KES" in line]
    assert [line.split()[3] for line in lines] == ["110/kg", "115/kg", "120/kg"]


def test_same_match_is_never_sent_twice(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")  # the same request again
    assert len(matches(network)) == 1 and len(notices(network, JUMA)) == 1


def test_matches_written_together_draw_a_new_code_when_one_is_taken(chat, network,
                                                                     monkeypatch):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")  # matched with Juma's offer: a code taken
    chat(TOMAS).send("BUY baskets 10 pieces Nairobi")
    chat(GRACE).send("BUY maize 20kg Kisumu")
    taken = matches(network)[0].code
    # Juma's offer and Amina's request again, then Tomás's request (a taken code, then the code
    # Grace's gets in the same statement), then Grace's request.
    drawn = iter(["AAAAAA", taken, "K7Q2M9", "K7Q2M9", "P3X8W4"])
    monkeypatch.setattr(market, "new_code", lambda: next(drawn))
    with unit_of_work(network) as session:
        offer, amina, tomas, grace = (session.scalar(select(Listing).where(
            Listing.member_id == members.find(session, phone=phone).id))
            for phone in (JUMA, AMINA, TOMAS, GRACE))
        written = market.add_matches(session, [(offer, amina, 5.0), (offer, tomas, None),
                                               (offer, grace, 0.0)])
        assert written[0] is None  # matched already
        assert [m.code for m in written[1:]] == ["P3X8W4", "K7Q2M9"]
    assert sorted(m.code for m in matches(network)) == sorted([taken, "K7Q2M9", "P3X8W4"])


def test_opted_out_member_is_never_matched_nor_told(chat, network):
    chat(OTHER).send("UZA tilapia 100kg 120/kg Kisumu")  # opted out: not even read
    with unit_of_work(network) as session:
        otieno = members.find(session, phone=OTHER)
        otieno.opted_out = False
    chat(OTHER).send("UZA tilapia 100kg 120/kg Kisumu")
    with unit_of_work(network) as session:
        members.find(session, phone=OTHER).opted_out = True
    reply = chat(AMINA).send("ACHETER tilapia 80kg Kisumu")[0]
    assert matches(network) == [] and notices(network, OTHER) == []
    assert translate("fr", NO_MATCH).split(". ", 1)[1] in reply


def test_unreachable_member_is_never_matched(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    with unit_of_work(network) as session:
        members.find(session, phone=JUMA).sms_unreachable = True
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    assert matches(network) == []


def test_members_who_share_no_cluster_are_not_matched(chat, network):
    chat(OUTSIDER).send("SELL tilapia 100kg 120/kg Kisumu")
    chat(JUMA).send("NUNUA tilapia 80kg Kisumu")
    assert matches(network) == []
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")  # Amina is in Lamu Crafts too
    assert len(matches(network)) == 1


def test_own_listing_is_never_a_match(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(JUMA).send("NUNUA tilapia 80kg Kisumu")
    assert matches(network) == []


def test_closed_or_expired_listing_is_not_matched(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(JUMA).send("FUNGA 1")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    assert matches(network) == []


def speak(factory, phone, lang):
    with unit_of_work(factory) as session:
        members.find(session, phone=phone).language = lang


@pytest.mark.parametrize(("lang", "at_most"), [
    ("en", "max KES 130/kg"), ("sw", "hadi KES 130/kg"), ("fr", "max. KES 130/kg"),
    ("pt", "máx. KES 130/kg"),
])
def test_seller_sees_a_buyers_price_as_the_most_they_pay(chat, network, lang, at_most):
    chat(AMINA).send("ACHETER tilapia 80kg max 130/kg Kibuye")
    speak(network, JUMA, lang)
    _, found = chat(JUMA, style="telegram").send("SELL tilapia 100kg 120/kg Kisumu")
    [match] = matches(network)
    assert f"{match.code} 80kg {at_most} Kibuye 2km" in found


@pytest.mark.parametrize(("lang", "written"), [
    ("en", "1,500.5kg, KES 150.75/kg"), ("sw", "1,500.5kg, KES 150.75/kg"),
    ("fr", "1 500,5kg, KES 150,75/kg"), ("pt", "1.500,5kg, KES 150,75/kg"),
])
def test_quantities_and_prices_are_written_as_the_members_language_does(chat, network, lang,
                                                                        written):
    """Decimal commas in French and Portuguese, points in English and Swahili."""
    speak(network, JUMA, lang)
    [posted] = chat(JUMA).send("SELL tilapia 1500.5kg 150.75/kg Kisumu")
    assert written in posted
    chat(GRACE).send("BUY tilapia 2000kg Kisumu")
    [match] = matches(network)
    chat(GRACE).send(f"YES {match.code}")
    chat(JUMA).send(f"YES {match.code}")
    [thanks] = chat(JUMA).send(f"DEAL {match.code} 1500.5kg 150.75")
    assert written in thanks


@pytest.mark.parametrize(("lang", "one", "thirty"), [
    ("en", "1 pc, KES 500/piece", "30 pcs, KES 50/piece"),
    ("sw", "kipande 1, KES 500/kipande", "vipande 30, KES 50/kipande"),
    ("fr", "1 pièce, KES 500/pièce", "30 pièces, KES 50/pièce"),
    ("pt", "1 peça, KES 500/peça", "30 peças, KES 50/peça"),
])
def test_pieces_are_counted_and_priced_per_piece(chat, network, lang, one, thirty):
    speak(network, JUMA, lang)
    juma = chat(JUMA, style="telegram")
    assert one in juma.send("SELL clay pot 1 pcs 500 each Kisumu")[0]
    assert thirty in juma.send("SELL clay whistles 30 pcs 50 each Kisumu")[0]


# --- Bulking ----------------------------------------------------------------------------------

def test_big_request_gets_a_group_of_offers_and_the_total(chat, network):
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kibuye")
    reply = chat(AMINA).send("ACHETER tilapia 200kg max 130/kg Kisumu")[1]
    assert len(matches(network)) == 3
    assert "210kg" in reply and "KES 23 300" in reply  # 80*120 + 70*110 + 60*100, in French
    assert len(notices(network, JUMA)) == 1 and len(notices(network, telegram_id=4242)) == 1


def test_single_offer_that_covers_the_request_needs_no_group(chat, network):
    chat(JUMA).send("UZA tilapia 300kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    reply = chat(AMINA).send("ACHETER tilapia 200kg Kisumu")[1]
    assert "210kg" not in reply and len(matches(network)) == 2


def group_notices(factory, lang, phone) -> list[str]:
    """The notices that told a buyer of a group a new offer completed."""
    heading = translate(lang, GROUP_COMPLETED).split("#")[0]
    return [n for n in notices(factory, phone) if n.startswith(heading)]


@pytest.mark.parametrize(("buyer", "lang", "sellers"), [
    (AMINA, "fr", (JUMA, TOMAS, FAR)),
    (JUMA, "sw", (AMINA, TOMAS, FAR)),
    (FAR, "en", (JUMA, TOMAS, AMINA)),
])
def test_offer_that_completes_a_group_tells_the_buyer_the_total(chat, network, buyer, lang,
                                                                sellers):
    first, second, third = sellers
    chat(buyer).send("BUY tilapia 200kg max 130/kg Kisumu")
    chat(first).send("SELL tilapia 80kg 120/kg Kisumu")
    chat(second).send("SELL tilapia 70kg 110/kg Kisumu")
    assert group_notices(network, lang, buyer) == []  # 150kg: no group yet
    chat(third).send("SELL tilapia 60kg 100/kg Kibuye")
    [group] = group_notices(network, lang, buyer)
    assert group.startswith(translate(lang, GROUP_COMPLETED).split("{")[0] + "1")
    total = {"fr": "KES 23 300"}.get(lang, "KES 23,300")  # 80*120 + 70*110 + 60*100
    assert "210kg" in group and total in group
    assert all(match.code in group for match in matches(network)) and len(matches(network)) == 3
    assert len(notices(network, buyer)) == 3  # the first two offers alone, then the group


def test_group_is_told_once_and_later_offers_come_alone(chat, network):
    chat(AMINA).send("ACHETER tilapia 200kg max 130/kg Kisumu")
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kibuye")
    chat(OUTSIDER).send("SELL tilapia 50kg 90/kg Kisumu")  # Fatma shares Lamu Crafts with Amina
    assert len(group_notices(network, "fr", AMINA)) == 1
    assert notices(network, AMINA)[-1].startswith("Vendeur pour votre demande #1")
    assert len(matches(network)) == 4


def test_group_broken_by_a_closed_offer_may_be_completed_again(chat, network):
    chat(AMINA).send("ACHETER tilapia 200kg Kisumu")
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    chat(TOMAS).send("CLOSE 1")
    chat(OUTSIDER).send("SELL tilapia 90kg 115/kg Kisumu")
    first, second = group_notices(network, "fr", AMINA)
    assert "210kg" in first and "230kg" in second


def test_request_given_a_group_when_posted_is_not_told_another(chat, network):
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    assert "210kg" in chat(AMINA).send("ACHETER tilapia 200kg Kisumu")[1]
    chat(OUTSIDER).send("SELL tilapia 50kg 90/kg Kisumu")
    assert group_notices(network, "fr", AMINA) == [] and len(notices(network, AMINA)) == 1


def test_offer_the_buyer_refused_is_left_out_of_a_group(chat, network):
    chat(AMINA).send("ACHETER tilapia 200kg Kisumu")
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    chat(AMINA).send(f"NON {matches(network)[0].code}")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    assert group_notices(network, "fr", AMINA) == []


def test_request_covered_by_one_offer_gets_no_group(chat, network):
    chat(AMINA).send("ACHETER tilapia 200kg Kisumu")
    chat(JUMA).send("UZA tilapia 300kg 120/kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    assert group_notices(network, "fr", AMINA) == [] and len(notices(network, AMINA)) == 3


def test_opted_out_buyer_is_not_told_of_a_group(chat, network):
    with unit_of_work(network) as session:
        members.find(session, phone=OTHER).opted_out = False
    chat(OTHER).send("NUNUA tilapia 200kg Kisumu")
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")
    with unit_of_work(network) as session:
        members.find(session, phone=OTHER).opted_out = True
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    assert len(notices(network, OTHER)) == 1  # Juma's offer, while he was opted in
    assert group_notices(network, "sw", OTHER) == [] and len(matches(network)) == 1


def test_opted_out_seller_is_left_out_of_a_group(chat, network):
    with unit_of_work(network) as session:
        members.find(session, phone=OTHER).opted_out = False
    chat(OTHER).send("UZA tilapia 80kg 120/kg Kisumu")
    with unit_of_work(network) as session:
        members.find(session, phone=OTHER).opted_out = True
    chat(AMINA).send("ACHETER tilapia 200kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    assert group_notices(network, "fr", AMINA) == [] and notices(network, OTHER) == []


def test_offer_known_from_another_request_joins_the_group_with_its_own_code(chat, network):
    chat(AMINA).send("ACHETER tilapia 50kg Kisumu")
    chat(JUMA).send("UZA tilapia 80kg 120/kg Kisumu")  # matched with her first request
    chat(AMINA).send("ACHETER tilapia 200kg Kisumu")
    chat(TOMAS).send("SELL tilapia 70kg 110/kg Kisumu")
    chat(FAR).send("SELL tilapia 60kg 100/kg Kisumu")
    [group] = group_notices(network, "fr", AMINA)
    juma_offer, second_request = (l.id for l in listings(network)[1:3])
    [for_second] = [m for m in matches(network)
                    if (m.offer_id, m.request_id) == (juma_offer, second_request)]
    assert "210kg" in group and for_second.code in group
    [told] = notices(network, JUMA)  # his offer is wanted by her second request too
    assert told.startswith("Mnunuzi wa toleo lako #1:") and for_second.code in told


# --- Introductions ----------------------------------------------------------------------------

def test_contacts_are_shared_only_when_both_say_yes(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    [match] = matches(network)
    waiting = chat(AMINA).send(f"OUI {match.code}")[0]
    assert JUMA not in waiting and waiting == translate(
        "fr", "Thanks. We will send you their contact when they say {yes} too.", yes="OUI")
    assert not any(AMINA in n for n in notices(network, JUMA))
    introduced = chat(JUMA).send(f"NDIYO {match.code}")[0]
    assert AMINA in introduced and "Amina" in introduced
    assert any(JUMA in n and "Juma" in n for n in notices(network, AMINA))
    assert matches(network)[0].introduced_at is not None


def test_no_keeps_numbers_private(chat, network):
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    [match] = matches(network)
    chat(AMINA).send(f"OUI {match.code}")
    assert chat(JUMA).send(f"HAPANA {match.code}") == [
        translate("sw", "OK, no introduction for {code}.", code=match.code)]
    assert not any(JUMA in n for n in notices(network, AMINA))
    assert matches(network)[0].introduced_at is None


def test_telegram_member_is_introduced_by_name(chat, network):
    with unit_of_work(network) as session:
        members.find(session, telegram_id=4242).telegram_username = "tomas_baskets"
    chat("4242", style="telegram").send("SELL vikapu 20 pcs 300 each Kisumu")
    chat(AMINA).send("ACHETER baskets 10 pcs Kisumu")
    [match] = matches(network)
    chat(AMINA).send(f"OUI {match.code}")
    chat("4242", style="telegram").send(f"YES {match.code}")
    [introduction] = [n for n in notices(network, AMINA) if "@" in n]
    assert "Telegram @tomas_baskets" in introduction and "Tomás" in introduction


# --- OFFERS, CLOSE, RENEW, expiry -------------------------------------------------------------

def test_offers_lists_open_listings_with_short_ids(chat, network):
    juma = chat(JUMA)
    juma.send("UZA tilapia 100kg 120/kg Kisumu")
    juma.send("NUNUA omena 20kg Kisumu")
    listed = juma.send("MATOLEO")[0]
    assert "#1 UZA sato 100kg" in listed and "#2 NUNUA dagaa 20kg" in listed
    assert juma.send("FUNGA 1") == [translate("sw", "Closed #{number}.", number=1)]
    assert "#1" not in juma.send("MATOLEO")[0]
    assert juma.send("FUNGA 9")[0] == translate(
        "sw", "You have no listing #{number}. Send {offers} to see yours.", number="9",
        offers="MATOLEO")
    assert juma.send("FUNGA")[0] == translate(
        "sw", "Send {word} and the listing number, e.g. {usage}.", word="FUNGA",
        usage="FUNGA 3")


def test_no_listings_says_how_to_post(chat, network):
    assert chat(TOMAS).send("OFFERS") == [translate(
        "en", "You have no open listings. Send {sell} or {buy} to post one.", sell="SELL",
        buy="BUY")]


def test_listing_is_reminded_a_day_before_and_expires_unless_renewed(chat, network):
    start = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
        chat(JUMA).send("UZA omena 20kg 90/kg Kisumu")
    with time_machine.travel(start + timedelta(days=6, hours=1), tick=False):
        with unit_of_work(network) as session:
            assert remind_and_expire(session, datetime.now(timezone.utc)) == (2, 0)
        with unit_of_work(network) as session:  # twice: nobody is reminded twice
            assert remind_and_expire(session, datetime.now(timezone.utc)) == (0, 0)
        assert chat(JUMA).send("ONGEZA 1")[0].startswith("#1")
    reminders = notices(network, JUMA)
    assert len(reminders) == 2 and "ONGEZA 1" in reminders[0]
    with time_machine.travel(start + timedelta(days=7, hours=1), tick=False):
        with unit_of_work(network) as session:
            assert remind_and_expire(session, datetime.now(timezone.utc)) == (0, 1)
    assert [l.status for l in listings(network)] == ["open", "expired"]


# --- Deals ------------------------------------------------------------------------------------

def introduced(chat, network) -> MarketMatch:
    chat(JUMA).send("UZA tilapia 100kg 120/kg Kisumu")
    chat(AMINA).send("ACHETER tilapia 80kg Kisumu")
    [match] = matches(network)
    chat(AMINA).send(f"OUI {match.code}")
    chat(JUMA).send(f"NDIYO {match.code}")
    return match


def test_follow_up_asks_both_sides_and_records_the_deal(chat, network):
    match = introduced(chat, network)
    later = datetime.now(timezone.utc) + timedelta(days=3, minutes=1)
    with unit_of_work(network) as session:
        assert follow_up(session, later) == 2
    with unit_of_work(network) as session:
        assert follow_up(session, later) == 0
    assert any(f"MAPATANO {match.code}" in n for n in notices(network, JUMA))
    assert any(f"AFFAIRE {match.code}" in n for n in notices(network, AMINA))
    reply = chat(JUMA).send(f"MAPATANO {match.code} 80kg 120")[0]
    assert reply == translate("sw", "Thanks! Deal recorded: {recorded}.",
                              recorded="80kg, KES 120/kg")
    chat(AMINA).send(f"NON AFFAIRE {match.code}")
    with unit_of_work(network) as session:
        deals = {(d.member_id, d.made, d.quantity) for d in session.scalars(select(MarketDeal))}
        juma, amina = members.find(session, phone=JUMA), members.find(session, phone=AMINA)
        assert deals == {(juma.id, True, 80.0), (amina.id, False, None)}
        assert market.member_record(session, juma.id) == (1, 1)
        [figure] = market.trade_figures(session, juma.memberships[0].cluster_id,
                                        datetime(2000, 1, 1, tzinfo=timezone.utc))
        assert (figure.deals, figure.quantity, figure.value) == (1, 80.0, 9600.0)


def test_coordinator_sees_the_deals_reported_in_her_cluster(chat, network):
    assert chat(GRACE).send("DEAL") == [translate(
        "en", "No deals reported in {cluster} in the last 30 days.", cluster="Kisumu Fish")]
    match = introduced(chat, network)
    chat(AMINA).send(f"AFFAIRE {match.code} 80kg 115")
    chat(JUMA).send(f"MAPATANO {match.code} 80kg 120")  # the seller's figure counts
    [report] = chat(GRACE).send("DEAL")
    assert report == translate("en", "Deals reported in {cluster}, last 30 days:\n{figures}",
                               cluster="Kisumu Fish", figures="tilapia 1x 80kg KES 9,600")
    assert chat(TOMAS).send("DEAL")[0].startswith("Send DEAL K7Q2M9 quantity price")


def test_deal_with_a_wrong_code_or_no_quantity_gets_a_hint(chat, network):
    match = introduced(chat, network)
    assert chat(JUMA).send("MAPATANO ZZZZZZ 80kg 120") == [translate(
        "sw", "No introduction of yours has the code {code}.", code="ZZZZZZ")]
    assert chat(TOMAS).send(f"DEAL {match.code} 80kg") == [translate(
        "en", "No introduction of yours has the code {code}.", code=match.code)]
    assert chat(JUMA).send(f"MAPATANO {match.code} abc")[0].startswith("Tuma MAPATANO")
    assert count_rows(network, MarketDeal) == 0


# --- The labelled set: precision and recall -----------------------------------------------------

def test_labelled_pairs_meet_precision_and_recall(network):
    pairs = labelled_pairs("matching_pairs.csv")
    assert len(pairs) >= 200
    now = datetime.now(timezone.utc)
    with unit_of_work(network) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        seller, buyer = members.find(session, phone=JUMA), members.find(session, phone=AMINA)
        result = measure(session, pairs, now, lambda pair: (cluster, seller, buyer))
    print(result.report())  # pytest -s: the figures of docs/MATCHING.md
    assert result.precision >= 0.95 and result.recall >= 0.90, result.report()
