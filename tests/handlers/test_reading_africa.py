"""Listings as traders write them in Kenya, Tanzania, Uganda, Mozambique, Senegal, Cameroon and
Côte d'Ivoire: sentences around the listing (greetings, "I have", "je vends", "preciso de"), the
local names of fish, food and crafts, the form a product is kept in (dried, smoked, frozen,
fresh) and how far a buyer reaches. Each message is sent whole, as a member sends it."""
from types import SimpleNamespace

import pytest
from scenes import add_member, outbox
from sqlalchemy import select

from handlers.market.reading import read_listing
from handlers.market.showing import FORMS, match_line
from handlers.products import forms
from locales.i18n import fold, keyword_of, translate
from locales.locality import currency_of, languages_of, timezone_of
from storage import clusters, products
from storage.db import unit_of_work
from storage.market import Candidate, Listing, MarketMatch

COUNTRIES = ("KE", "TZ", "UG", "MZ", "SN", "CM", "CI")
LANGUAGE = {"KE": "sw", "TZ": "sw", "UG": "en", "MZ": "pt", "SN": "fr", "CM": "fr", "CI": "fr"}


def seller(country: str) -> str:
    return f"+2547221{COUNTRIES.index(country):02d}101"


def buyer(country: str) -> str:
    return f"+2547221{COUNTRIES.index(country):02d}102"


@pytest.fixture
def traders(factory):
    """A cluster of traders in each of the seven countries (its currency, languages and time
    zone), each with a seller and a buyer who write in the country's language."""
    with unit_of_work(factory) as session:
        for country in COUNTRIES:
            cluster = clusters.add(session, slug=f"coast-{country.lower()}",
                                   name=f"Coast {country}", currency=currency_of(country),
                                   country=country, languages=languages_of(country),
                                   timezone=timezone_of(country))
            add_member(session, seller(country), "fisher", cluster, LANGUAGE[country], "Juma")
            add_member(session, buyer(country), "trader", cluster, LANGUAGE[country], "Amina")
    return factory


def posted(factory) -> list[Listing]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(Listing).order_by(Listing.id)))
        session.expunge_all()
        return rows


def slug_of(factory, listing: Listing) -> str | None:
    with unit_of_work(factory) as session:
        product = session.get(products.Product, listing.product_id) if listing.product_id else None
        return product.slug if product else None


def matched(factory) -> bool:
    with unit_of_work(factory) as session:
        return session.scalar(select(MarketMatch.id)) is not None


def read(factory, country: str, text: str) -> dict:
    """The draft the bot reads from one whole SELL/BUY message in the country's cluster."""
    keyword, rest = text.split(" ", 1)
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, f"coast-{country.lower()}")
        draft, parsed = read_listing(session, cluster, keyword_of(keyword), rest)
        assert parsed.problem is None, (text, parsed)
        product = draft["product"]
        slug = session.get(products.Product, product["id"]).slug if product["id"] else None
        return {**draft, "slug": slug}


def same_place(listing: Listing, town: str) -> bool:
    """The listing is at `town`, as the gazetteer writes it (`Mombasa`) or as typed."""
    return fold(listing.place_name).startswith(fold(town))


# --- Sentences around a listing -----------------------------------------------------------

@pytest.mark.parametrize(("country", "who", "text", "expected"), [
    ("KE", seller, "UZA nauza sato kilo 30 bei 320 Kisumu",
     ("sell", "tilapia", 30, "kg", 320, "Kisumu")),
    ("KE", seller, "UZA Habari, nina pweza kilo 40 bei 650 Mombasa",
     ("sell", "octopus", 40, "kg", 650, "Mombasa")),
    ("KE", buyer, "NUNUA Habari za asubuhi, natafuta dagaa karibu kilo 100 bei isizidi 110 Kisumu",
     ("buy", "omena", 100, "kg", 110, "Kisumu")),
    ("TZ", buyer, "NUNUA nahitaji korosho kilo 300 hadi 3500 Mtwara",
     ("buy", "cashew_nuts", 300, "kg", 3500, "Mtwara")),
    ("TZ", buyer, "BUY nataka kununua sangara kilo 50 bei isizidi 9000 Bukoba",
     ("buy", "nile_perch", 50, "kg", 9000, "Bukoba")),
    ("UG", buyer, "BUY I need mukene 200kg budget 5000 Jinja",
     ("buy", "omena", 200, "kg", 5000, "Jinja")),
    ("UG", buyer, "BUY looking for mputa about 50kg maximum 15000 Kampala",
     ("buy", "nile_perch", 50, "kg", 15000, "Kampala")),
    ("UG", seller, "SELL Hello, I have ngege 100kg 11500 Entebbe",
     ("sell", "tilapia", 100, "kg", 11500, "Entebbe")),
    ("MZ", seller, "VENDER Vendo carapau 200 kg a 150 o kg Maputo",
     ("sell", "horse_mackerel", 200, "kg", 150, "Maputo")),
    ("MZ", buyer, "COMPRAR Bom dia, preciso de camarão uns 100 kg no máximo 1300 Beira",
     ("buy", "prawns", 100, "kg", 1300, "Beira")),
    ("MZ", seller, "VENDER tenho lulas 40kg 500 Pemba", ("sell", "squid", 40, "kg", 500, "Pemba")),
    ("MZ", buyer, "COMPRAR caranguejo 20 kg até 400 Quelimane",
     ("buy", "crabs", 20, "kg", 400, "Quelimane")),
    ("SN", seller, "VENDRE Bonjour je vends thiof 50 kg 3500 le kg Mbour",
     ("sell", "grouper", 50, "kg", 3500, "Mbour")),
    ("SN", buyer, "ACHETER Bonjour je cherche yaboye environ 200 kg pas plus de 450 Joal",
     ("buy", "sardines", 200, "kg", 450, "Joal")),
    ("CM", buyer, "ACHETER bar 20kg maximum 3500 Douala", ("buy", "croaker", 20, "kg", 3500,
                                                            "Douala")),
    ("CM", seller, "VENDRE je vends capitaine 40kg 4500 le kg Limbe",
     ("sell", "nile_perch", 40, "kg", 4500, "Limbe")),
    ("CI", buyer, "ACHETER attieke 50kg pas plus de 450 Abidjan",
     ("buy", "attieke", 50, "kg", 450, "Abidjan")),
    ("CI", seller, "VENDRE Bonsoir, je vends du machoiron 40kg 3000 Abidjan",
     ("sell", "catfish", 40, "kg", 3000, "Abidjan")),
])
def test_sentence_around_a_listing_is_no_product_or_place(chat, traders, country, who, text,
                                                          expected):
    chat(who(country)).send(text)
    [listing] = posted(traders)
    assert (listing.kind, slug_of(traders, listing), listing.quantity, listing.unit,
            listing.price) == expected[:5]
    assert same_place(listing, expected[5]), listing.place_name
    assert listing.currency == currency_of(country)


@pytest.mark.parametrize(("country", "text", "typed"), [
    ("SN", "VENDRE Bonjour je vends des bracelets 30 pièces 2000 Dakar", "bracelets"),
    ("MZ", "VENDER Bom dia, vendo sabão artesanal 40 peças 25 Maputo", "sabão artesanal"),
    ("TZ", "UZA Habari, nina mzigo wa magumba kilo 300 bei 90 Tanga leo", "magumba"),
    ("CM", "VENDRE je propose du crayfish séché 30kg 6000 Limbe demain", "crayfish"),
    ("UG", "SELL Good morning, I have fish maw 30kg 18000 Kampala", "fish maw"),
])
def test_product_outside_the_catalog_is_kept_without_the_sentence(chat, traders, country, text,
                                                                   typed):
    chat(seller(country)).send(text)
    [listing] = posted(traders)
    assert listing.product_id is None and listing.product_name == typed


@pytest.mark.parametrize(("country", "text"), [
    ("TZ", "NUNUA dagaa kilo 50 bei isizidi 6500 Musoma popote"),
    ("SN", "ACHETER thiof 30kg pas plus de 4000 Dakar n'importe où"),
    ("CI", "ACHETER pagnes 20 pas plus de 9000 partout"),
    ("CM", "ACHETER crevettes 20kg pas plus de 5000 n’importe où"),
    ("MZ", "COMPRAR camarão 30kg até 1300 Maputo qualquer lugar"),
    ("UG", "BUY tilapia 50kg max 13000 anywhere"),
])
def test_anywhere_lifts_the_reach_and_is_no_place(chat, traders, country, text):
    chat(buyer(country)).send(text)
    [listing] = posted(traders)
    assert listing.anywhere
    assert not {"popote", "n'importe", "n’importe", "partout", "qualquer", "anywhere"} & set(
        fold(listing.place_name).split())


# --- Local names --------------------------------------------------------------------------

@pytest.mark.parametrize(("country", "name", "slug"), [
    ("MZ", "carapau", "horse_mackerel"), ("MZ", "peixe seco", "dried_fish"),
    ("MZ", "camarão", "prawns"), ("MZ", "lagosta", "lobster"), ("MZ", "caranguejo", "crabs"),
    ("MZ", "lulas", "squid"), ("MZ", "mandioca", "cassava"), ("MZ", "amendoim", "groundnuts"),
    ("MZ", "kapenta", "omena"), ("SN", "poisson fumé", "smoked_fish"),
    ("SN", "thiof", "grouper"), ("SN", "yaboye", "sardines"), ("SN", "sardinelle", "sardines"),
    ("SN", "kethiakh", "sardines"), ("SN", "bar", "croaker"), ("SN", "fonio", "fonio"),
    ("SN", "mil", "millet"), ("SN", "arachide", "groundnuts"),
    ("CM", "capitaine", "nile_perch"), ("CM", "bonga", "bonga"), ("CM", "maquereau", "mackerel"),
    ("CM", "huile de palme", "palm_oil"), ("CM", "carpe", "tilapia"),
    ("CI", "machoiron", "catfish"), ("CI", "attiéké", "attieke"), ("CI", "manioc", "cassava"),
    ("CI", "gari", "gari"), ("CI", "igname", "yams"), ("CI", "farine de manioc", "cassava_flour"),
    ("UG", "mukene", "omena"), ("UG", "silverfish", "omena"), ("UG", "nkejje", "haplochromines"),
    ("UG", "mputa", "nile_perch"), ("UG", "ngege", "tilapia"), ("UG", "ssemutundu", "catfish"),
    ("UG", "matooke", "bananas"), ("TZ", "furu", "haplochromines"), ("TZ", "muhogo", "cassava"),
    ("TZ", "karanga", "groundnuts"), ("TZ", "ngisi", "squid"), ("TZ", "chewa", "grouper"),
    ("KE", "omena", "omena"), ("KE", "dagaa", "omena"), ("KE", "kamongo", "lungfish"),
    ("UG", "mamba fish", "lungfish"), ("TZ", "nguru", "kingfish"), ("SN", "thazard", "kingfish"),
    ("MZ", "serra", "kingfish"), ("KE", "mkizi", "mullet"), ("CI", "mulet", "mullet"),
    ("MZ", "tainha", "mullet"), ("TZ", "papa", "shark"), ("SN", "requin", "shark"),
])
def test_local_name_is_its_catalog_product(traders, country, name, slug):
    draft = read(traders, country, f"SELL {name} 10kg 100 Mombasa")
    assert draft["slug"] == slug
    assert draft["place"]["name"] == "Mombasa"


@pytest.mark.parametrize(("country", "name", "slug"), [
    ("KE", "kiondo", "baskets"), ("KE", "sisal bags", "baskets"), ("KE", "vikapu", "baskets"),
    ("MZ", "cestos", "baskets"), ("SN", "paniers", "baskets"), ("TZ", "mikeka", "mats"),
    ("CI", "nattes", "mats"), ("MZ", "esteiras", "mats"), ("KE", "shanga", "beads"),
    ("UG", "beadwork", "beads"), ("MZ", "missangas", "beads"), ("TZ", "vinyago", "carvings"),
    ("CM", "sculptures", "carvings"), ("MZ", "makonde", "carvings"), ("KE", "vyungu", "pottery"),
    ("CI", "canaris", "pottery"), ("MZ", "panelas de barro", "pottery"),
    ("TZ", "kitenge", "fabric"), ("MZ", "capulana", "fabric"), ("CI", "pagnes", "fabric"),
    ("UG", "bark cloth", "bark_cloth"),
])
def test_craft_names_are_their_catalog_products(traders, country, name, slug):
    draft = read(traders, country, f"SELL {name} 10 pcs 500 each Mombasa")
    assert draft["slug"] == slug
    assert draft["quantity"]["amount"] == 10 and draft["quantity"]["unit"] == "piece"


def test_bark_cloth_is_not_kitenge(traders):
    assert read(traders, "UG", "SELL bark cloth 10 pcs 40000 each Masaka")["slug"] == "bark_cloth"
    assert read(traders, "UG", "BUY kitenge 10 pcs max 45000 Masaka")["slug"] == "fabric"


# --- Crafts by the piece and the dozen ----------------------------------------------------

@pytest.mark.parametrize(("country", "text", "expected"), [
    ("KE", "SELL 20 sisal bags 500 each Nairobi", ("baskets", 20, "piece", 500)),
    ("KE", "UZA vikapu vipande 30 bei 400 kila kimoja Mombasa", ("baskets", 30, "piece", 400)),
    ("MZ", "VENDER capulanas 50 peças 350 cada Nampula", ("fabric", 50, "piece", 350)),
    ("CM", "VENDRE sculptures en bois 10 pièces 15000 chacune Foumban",
     ("carvings", 10, "piece", 15000)),
    ("SN", "VENDRE paniers 3 douzaines 18000 la douzaine Dakar", ("baskets", 36, "piece", 1500)),
    ("UG", "SELL beadwork 2 dozen 6000 per dozen Kampala", ("beads", 24, "piece", 500)),
    ("MZ", "VENDER Vendo cestos 3 dúzias a 1800 a dúzia Maxixe", ("baskets", 36, "piece", 150)),
    ("TZ", "UZA mikeka dazeni 2 bei 24000 kila dazeni Tanga", ("mats", 24, "piece", 2000)),
])
def test_craft_goods_by_the_piece_or_the_dozen(chat, traders, country, text, expected):
    chat(seller(country)).send(text)
    [listing] = posted(traders)
    assert (slug_of(traders, listing), listing.quantity, listing.unit, listing.price) == expected


def test_craft_material_is_no_place(traders):
    draft = read(traders, "CM", "VENDRE sculptures en bois 10 pièces 25000 Foumban")
    assert draft["slug"] == "carvings" and fold(draft["place"]["name"]) == "foumban"


# --- Forms --------------------------------------------------------------------------------

@pytest.mark.parametrize(("country", "text", "slug", "form"), [
    ("KE", "UZA omena kavu kilo 200 bei 100 Kisumu", "omena", "dried"),
    ("TZ", "UZA nauza sato wabichi kilo 80 bei 7000 Musoma", "tilapia", "fresh"),
    ("TZ", "UZA dagaa wa kukaushwa kilo 100 bei 6000 Mwanza", "omena", "dried"),
    ("TZ", "UZA kambale wa kubanikwa kilo 40 bei 10000 Mwanza", "catfish", "smoked"),
    ("KE", "UZA sato ya kukaanga kilo 10 bei 500 Kisumu", "tilapia", "fried"),
    ("KE", "UZA dagaa wa chumvi kilo 50 bei 150 Kisumu", "omena", "salted"),
    ("UG", "SELL Nile perch frozen 300kg 13500 Kampala", "nile_perch", "frozen"),
    ("UG", "SELL smoked catfish 40kg 15000 Kampala", "catfish", "smoked"),
    ("UG", "SELL nkejje dried 50kg 6000 Entebbe", "haplochromines", "dried"),
    ("MZ", "VENDER Vendo carapau congelado 200 kg a 150 o kg Maputo", "horse_mackerel", "frozen"),
    ("MZ", "VENDER polvo seco 30kg 600 Pemba", "octopus", "dried"),
    ("MZ", "VENDER sardinha fresca 200kg 120 Maputo", "sardines", "fresh"),
    ("MZ", "VENDER tilápia fumada 50kg 250 Beira", "tilapia", "smoked"),
    ("MZ", "VENDER carapau salgado 50kg 150 Maputo", "horse_mackerel", "salted"),
    ("SN", "VENDRE kethiakh 200kg 1500 Joal", "sardines", "smoked"),
    ("SN", "VENDRE sardinelles séchées 100kg 900 Joal", "sardines", "dried"),
    ("CM", "VENDRE bonga fumé 100 kg 1800 Kribi", "bonga", "smoked"),
    ("CM", "VENDRE crevettes salées 30kg 6000 Kribi", "prawns", "salted"),
    ("CI", "VENDRE maquereau congelé 20kg 1200 Abidjan", "mackerel", "frozen"),
    ("CI", "VENDRE carpe fraîche 100kg 2000 Abidjan", "tilapia", "fresh"),
    ("CI", "VENDRE tilapia braisé 20kg 2500 Abidjan", "tilapia", "grilled"),
    ("CI", "VENDRE poisson chat fumé 40kg 3000 Dabou", "catfish", "smoked"),
])
def test_form_is_read_and_is_no_part_of_the_name(chat, traders, country, text, slug, form):
    chat(seller(country)).send(text)
    [listing] = posted(traders)
    assert (slug_of(traders, listing), listing.form) == (slug, form)
    assert not set(fold(listing.place_name).split()) & {"kavu", "seco", "fume", "frozen"}


@pytest.mark.parametrize(("country", "text", "slug"), [
    ("MZ", "VENDER peixe seco 50kg 250 Manica", "dried_fish"),
    ("MZ", "VENDER peixe fumado 50kg 250 Angoche", "smoked_fish"),
    ("KE", "UZA samaki kavu kilo 50 bei 300 Kisumu", "dried_fish"),
    ("KE", "UZA samaki wa chumvi kilo 50 bei 300 Kisumu", "dried_fish"),
    ("SN", "VENDRE poisson fumé 50kg 2000 Mbour", "smoked_fish"),
])
def test_form_word_inside_a_catalog_name_is_that_product(chat, traders, country, text, slug):
    chat(seller(country)).send(text)
    [listing] = posted(traders)
    assert slug_of(traders, listing) == slug and listing.form is None


@pytest.mark.parametrize(("country", "offer", "wanted", "match"), [
    # the same form
    ("KE", "UZA dagaa kavu kilo 200 bei 100 Kisumu",
     "NUNUA dagaa kavu kilo 100 bei isizidi 110 Kisumu", True),
    ("SN", "VENDRE kethiakh 200kg 1500 Joal", "ACHETER sardinelles fumées 100 kg au plus 1600 Joal",
     True),
    # one side says no form
    ("KE", "UZA omena kavu kilo 200 bei 100 Kisumu", "BUY omena 100kg max 110 Kisumu", True),
    ("UG", "SELL Nile perch frozen 300kg 13500 Kampala", "BUY mputa 100kg max 15000 Kampala",
     True),
    ("CI", "VENDRE poisson chat fumé 40kg 3000 Abidjan",
     "ACHETER poisson-chat 20kg au plus 3500 Abidjan", True),
    ("SN", "VENDRE tambadiang séché 50kg 2800 Ziguinchor",
     "ACHETER tambadiang 20kg pas plus de 3000 Ziguinchor", True),
    ("MZ", "VENDER Vendo kapenta seca 100 kg 120 Tete", "COMPRAR kapenta 100 kg até 130 Tete",
     True),
    # two different forms
    ("KE", "UZA omena kavu kilo 200 bei 100 Kisumu", "BUY fresh omena 100kg max 110 Kisumu",
     False),
    ("MZ", "VENDER carapau congelado 200kg 150 Maputo",
     "COMPRAR Bom dia, preciso de carapau fresco uns 100 kg no máximo 160 Maputo", False),
    ("SN", "VENDRE kethiakh 200kg 1500 Joal", "ACHETER yaboye frais 200 kg au plus 1600 Joal",
     False),
    ("TZ", "UZA kambale wa kubanikwa kilo 40 bei 10000 Mwanza",
     "NUNUA kambale kavu kilo 20 bei isizidi 12000 Mwanza", False),
    ("CM", "VENDRE bonga fumé 100kg 1800 Kribi", "ACHETER bonga séché 50kg pas plus de 2000 Kribi",
     False),
    # smoked fish and dried fish are two products
    ("MZ", "VENDER peixe fumado 50kg 250 Angoche", "COMPRAR peixe seco 30kg até 300 Angoche",
     False),
])
def test_forms_match_when_the_same_or_said_on_one_side(chat, traders, country, offer, wanted,
                                                       match):
    chat(seller(country)).send(offer)
    chat(buyer(country)).send(wanted)
    assert len(posted(traders)) == 2
    assert matched(traders) == match


def test_every_form_has_a_label():
    assert set(forms().words.values()) | set(forms().names.values()) == set(FORMS)


@pytest.mark.parametrize(("country", "offer", "wanted", "lang", "form"), [
    ("KE", "UZA dagaa kavu kilo 200 bei 100 Kisumu", "NUNUA dagaa kilo 100 bei isizidi 110 Kisumu",
     "sw", "dried"),
    ("SN", "VENDRE kethiakh 200kg 1500 Joal", "ACHETER sardines 100 kg au plus 1600 Joal", "fr",
     "smoked"),
    ("MZ", "VENDER carapau congelado 200kg 150 Maputo", "COMPRAR carapau 100 kg até 160 Maputo",
     "pt", "frozen"),
])
def test_seller_and_buyer_are_told_the_form(chat, traders, country, offer, wanted, lang, form):
    said = f"({translate(lang, FORMS[form])})"
    chat(buyer(country)).send(wanted)
    assert said in chat(seller(country)).send(offer)[0]  # Posted #1: omena (kavu) 200kg...
    told = [m.text for m in outbox(traders) if m.kind == "market" and m.address == buyer(country)]
    assert len(told) == 1 and said in told[0]


@pytest.mark.parametrize(("answer", "product", "form"), [
    ("dagaa kavu", ("omena", "dagaa"), "dried"),
    ("nina magumba wa kukaushwa", (None, "magumba"), "dried"),
    ("sato", ("tilapia", "sato"), None),
])
def test_product_answer_keeps_its_form(chat, traders, answer, product, form):
    juma = chat(seller("TZ"))
    juma.send("UZA")
    juma.send(answer)
    juma.send("kilo 100")
    juma.send("bei 6000")
    juma.send("Mwanza")
    [listing] = posted(traders)
    assert (slug_of(traders, listing), listing.product_name, listing.form) == (*product, form)


# --- Reach: within N km of a place --------------------------------------------------------

@pytest.mark.parametrize(("country", "text", "radius", "town"), [
    ("KE", "BUY beans 300kg max 130/kg within 300km of Nrb", 300, "Nairobi"),
    ("KE", "BUY beans 300kg max 130/kg within 300km of Nairobi", 300, "Nairobi"),
    ("KE", "NUNUA maharagwe kilo 300 bei isizidi 130 ndani ya 300km kutoka Nairobi", 300,
     "Nairobi"),
    ("KE", "BUY beans 300 kg max 130 within 100 kms from Nakuru", 100, "Nakuru"),
    ("CM", "ACHETER plantain 20 pas plus de 4000 dans un rayon de 100 km autour de Douala", 100,
     "Douala"),
    ("MZ", "COMPRAR tilápia 50 kg até 220 meticais até 200 km de Beira", 200, "Beira"),
])
def test_within_a_radius_of_a_place_reads_both(chat, traders, country, text, radius, town):
    chat(buyer(country)).send(text)
    [listing] = posted(traders)
    assert listing.radius_km == radius and same_place(listing, town)
    assert listing.place_id is not None and not listing.anywhere


@pytest.mark.parametrize(("request_text", "match"), [
    ("BUY beans 300kg max 130/kg within 300km of Nrb", True),  # Nakuru is 140 km from Nairobi
    ("BUY beans 300kg max 130/kg Nairobi", False),  # 50 km unless said
])
def test_radius_counted_from_the_place_after_of(chat, traders, request_text, match):
    chat(seller("KE")).send("SELL beans 500kg 120/kg Nakuru")
    chat(buyer("KE")).send(request_text)
    assert matched(traders) == match


# --- Money written with the price ---------------------------------------------------------

@pytest.mark.parametrize(("country", "text", "currency"), [
    ("MZ", "VENDER camarão 50kg 18 USD/kg Maputo", "USD"),
    ("MZ", "VENDER camarão 50 kg a 1.200 MT o kg Beira", "MZN"),
    ("SN", "VENDRE thiof 50 kg 3.500 F le kg Mbour", "XOF"),
    ("CM", "VENDRE bonga fumé 100 kg 1.800 F le kg Kribi", "XAF"),
    ("UG", "SELL tilapia 100kg 12,000/= per kg Jinja", "UGX"),
    ("TZ", "UZA sato kilo 50 bei 250 Ksh Tarime", "KES"),
])
def test_listing_keeps_the_currency_written_with_its_price(chat, traders, country, text,
                                                           currency):
    chat(seller(country)).send(text)
    [listing] = posted(traders)
    assert listing.currency == currency


def test_a_match_line_says_the_form_the_other_side_said():
    """A buyer who wrote no form reads the seller's: `K7Q2M9 (kavu) 200kg ...`."""
    offer = SimpleNamespace(form="dried", quantity=200, unit="kg", price=None, price_unit=None,
                            currency="KES", kind="sell", place_id=None, place_name="Kisumu")
    assert match_line(Candidate(offer, None), "K7Q2M9", "sw").startswith("K7Q2M9 (kavu) ")
    assert match_line(Candidate(SimpleNamespace(**{**vars(offer), "form": None}), None),
                      "K7Q2M9", "en").startswith("K7Q2M9 200kg")
