"""Directory scenes: Tomás (en), Juma (sw), Amina (fr) and Rosa (pt) look for suppliers and
services with FIND; listed members are asked before their contact is shared, institutions'
contacts come at once; MORE, typos, distance, and what is never found."""
import re

import pytest
from scenes import AMINA, JUMA, TOMAS, add_member, as_sms, outbox
from sqlalchemy import select

from locales.i18n import fold, keyword_word, translate
from storage import directory, products
from storage.audit import AuditEntry
from storage.db import unit_of_work
from storage.directory import DirectoryIntroduction, DirectorySearch, Institution
from storage.models import Cluster, Member, MemberProduct, Place

ROSA = "+254722000005"
SEARCHERS = {"en": TOMAS, "sw": JUMA, "fr": AMINA, "pt": ROSA}
WANJIKU = "+254722000011"  # Mama Samaki: omena, Kibuye (2 km from Kisumu), Swahili
ODHIAMBO = "+254722000012"  # omena and tilapia in Nakuru (150 km), English
BARAKA = "+254722000013"  # a transporter in Nairobi
HIDDEN = "+254722000014"  # sells omena, said no to the directory
UNASKED = "+254722000015"  # sells omena, never asked
GONE = "+254722000016"  # listed, then opted out
NEVER = [HIDDEN, UNASKED, GONE]
NEVER_NAMES = ["Hidden", "Unasked", "Gone"]


def listed(session, phone, role, cluster, language, name, place, offered, *, business=None,
           agreed=True, opted_out=False):
    """A member who said `agreed` (True: list me) to the directory, offering the products."""
    member = add_member(session, phone, role, cluster, language, name, place=place,
                        product=offered[0], opted_out=opted_out)
    for slug in offered[1:]:
        member.products.append(MemberProduct(product_id=products.by_slug(session, slug).id,
                                             raw_name=slug))
    member.listed, member.business_name = agreed, business
    return member


@pytest.fixture
def network(factory, kisumu):
    """Kisumu Fish (sw, en): four searchers in Kisumu who said no to being listed, the listed
    members above, and three institutions: an ice plant (verified), a SACCO (not verified) and a
    training centre."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        for lang, phone in SEARCHERS.items():
            searcher = add_member(session, phone, "trader", kisumu, lang, f"Searcher {lang}",
                                  place="Kisumu")
            searcher.listed = False
        searcher_tg = session.scalar(select(Member).where(Member.phone == TOMAS))
        searcher_tg.telegram_username = "tomas_kikapu"
        listed(session, WANJIKU, "fish_processor", kisumu, "sw", "Wanjiku",
               "Kibuye (Kisumu)", ["omena"], business="Mama Samaki")
        listed(session, ODHIAMBO, "trader", kisumu, "en", "Odhiambo", "Nakuru",
               ["omena", "tilapia"])
        listed(session, BARAKA, "transporter", kisumu, "en", "Baraka", "Nairobi", ["maize"],
               business="Baraka Lorries")
        listed(session, HIDDEN, "trader", kisumu, "en", "Hidden", "Kisumu", ["omena"],
               agreed=False)
        listed(session, UNASKED, "trader", kisumu, "en", "Unasked", "Kisumu", ["omena"],
               agreed=None)
        listed(session, GONE, "trader", kisumu, "en", "Gone", "Kisumu", ["omena"],
               opted_out=True)
        town = session.scalar(select(Place).where(Place.name == "Kisumu"))
        for name, categories, services, phone, website, verified in (
                ("Kisumu Ice Plant", ["cold_storage"], ["ice", "cold room hire"],
                 "+254720111222", None, True),
                ("Lake Credit SACCO", ["finance"], ["boat loans", "savings"], "+254720333444",
                 "https://lakecredit.example", False),
                ("Fisheries Training Unit", ["training"], ["fish handling courses"],
                 "+254720555666", None, True)):
            session.add(Institution(cluster_id=kisumu.id, name=name, folded_name=name.lower(),
                                    categories=categories, services=services,
                                    place_id=town.id, place_name="Kisumu", phone=phone,
                                    website=website, verified=verified))
    return factory


def searches(factory) -> list[DirectorySearch]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(DirectorySearch).order_by(DirectorySearch.id)))
        session.expunge_all()
        return rows


def introductions(factory) -> list[DirectoryIntroduction]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(DirectoryIntroduction)
                                    .order_by(DirectoryIntroduction.id)))
        session.expunge_all()
        return rows


def sent_to(factory, phone) -> list[str]:
    """What the bot sent a member on its own (an introduction asked, answered)."""
    return [m.text for m in outbox(factory) if m.kind == "directory" and m.address == phone]


def found_lines(reply: str) -> list[str]:
    """The numbered results of an SMS reply: `1) Mama Samaki: ... 2) ...` -> their texts."""
    return [part.strip() for part in re.split(r"(?:^|\s)\d\) ", reply.split("\n", 1)[1]) if part]


# --- Members by product, in every language -------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "product"), [
    ("en", "FIND omena", "omena"),
    ("sw", "TAFUTA dagaa", "dagaa"),
    ("fr", "CHERCHER sardine d'eau douce", "sardine d'eau douce"),
    ("fr", "CHERCHER omena", "sardine d'eau douce"),
    ("pt", "PROCURAR dagaa", "sardinha de água doce"),
])
def test_find_lists_listed_members_by_product_nearest_first(chat, network, lang, text, product):
    reply = chat(SEARCHERS[lang]).send(text)[0]
    assert reply.startswith(as_sms(translate(lang, 'Found for "{looked_for}". Send a number to '
                                                   'get in touch:',
                                             looked_for=text.split(" ", 1)[1]))[:12])
    lines = found_lines(reply)
    assert fold(lines[0]) == fold(f"Mama Samaki: {product}, Kibuye 2km")  # SMS drops accents
    assert lines[1].startswith("Odhiambo: ") and lines[1].endswith("Nakuru 149km")
    assert len(lines) == 2  # no More: nothing else fits
    assert not any(name in reply for name in NEVER_NAMES)
    assert not any(phone in reply for phone in (WANJIKU, ODHIAMBO))
    [search] = searches(network)
    assert search.found and search.shown == 2 and len(search.results) == 2


def test_find_by_role_in_any_language(chat, network):
    en = chat(TOMAS).send("FIND transporter")[0]
    sw = chat(JUMA).send("TAFUTA msafirishaji")[0]
    assert "1) Baraka Lorries: maize, Nairobi" in en
    assert "1) Baraka Lorries: mahindi, Nairobi" in sw


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "FIND tilapa"), ("sw", "TAFUTA ngegee"), ("fr", "CHERCHER tilapai"),
    ("pt", "PROCURAR tilápya"),
])
def test_find_forgives_typos(chat, network, lang, text):
    reply = chat(SEARCHERS[lang]).send(text)[0]
    assert found_lines(reply)[0].startswith("Odhiambo: ")


def test_a_short_word_is_not_found_inside_another(chat, network):
    """`ice` is no typo of `rice`, nor `net` of `nets`: short words must be written whole."""
    with unit_of_work(network) as session:
        baraka = session.scalar(select(Member).where(Member.phone == BARAKA))
        baraka.products[0].raw_name = "rice"
        baraka.products[0].product_id = None
    reply = chat(TOMAS).send("FIND ice")[0]
    assert "Kisumu Ice Plant" in reply and "Baraka" not in reply


# --- Institutions by category and service -----------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "name"), [
    ("en", "FIND ice", "Kisumu Ice Plant"),
    ("en", "SEARCH cold storage", "Kisumu Ice Plant"),
    ("sw", "TAFUTA barafu", "Kisumu Ice Plant"),
    ("fr", "CHERCHER glace", "Kisumu Ice Plant"),
    ("pt", "PROCURAR gelo", "Kisumu Ice Plant"),
    ("en", "FIND loans", "Lake Credit SACCO"),
    ("sw", "TAFUTA mkopo", "Lake Credit SACCO"),
    ("fr", "CHERCHER crédit", "Lake Credit SACCO"),
    ("pt", "PROCURAR empréstimo", "Lake Credit SACCO"),
    ("en", "FIND training", "Fisheries Training Unit"),
    ("sw", "TAFUTA mafunzo", "Fisheries Training Unit"),
    ("fr", "CHERCHER formation", "Fisheries Training Unit"),
    ("pt", "PROCURAR formação", "Fisheries Training Unit"),
    ("sw", "TAFUTA mikopoo", "Lake Credit SACCO"),  # a typo
    ("fr", "CHERCHER credt", "Lake Credit SACCO"),
])
def test_find_institutions_by_category_names_in_each_language(chat, network, lang, text, name):
    reply = chat(SEARCHERS[lang]).send(text)[0]
    [line] = found_lines(reply)
    assert line.startswith(f"{name}: ") and "Kisumu 0km" in line
    unverified = f"({fold(translate(lang, 'not verified'))})"
    assert fold(line).endswith(unverified) == (name == "Lake Credit SACCO")


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_choosing_an_institution_gives_its_contact_at_once(chat, network, lang):
    member = chat(SEARCHERS[lang])
    member.send({"en": "FIND loans", "sw": "TAFUTA mkopo", "fr": "CHERCHER crédit",
                 "pt": "PROCURAR empréstimo"}[lang])
    [contact] = member.send("1")
    assert contact == as_sms(translate(
        lang, "{name}: {links}. Offers: {offered}. Not verified yet: please check before you go.",
        name="Lake Credit SACCO", links="+254720333444, https://lakecredit.example",
        offered="boat loans, savings"))
    assert introductions(network) == []


def test_a_verified_institution_does_not_say_it_is_unchecked(chat, network):
    member = chat(TOMAS)
    member.send("FIND ice")
    assert member.send("1") == ["Kisumu Ice Plant: +254720111222. Offers: ice, cold room hire."]


# --- Distance, the place named -----------------------------------------------------------------

def test_a_place_named_after_what_measures_distances_from_there(chat, network):
    reply = chat(TOMAS).send("FIND omena Nakuru")[0]
    lines = found_lines(reply)
    assert lines[0] == "Odhiambo: omena, tilapia, Nakuru 0km"
    assert lines[1].startswith("Mama Samaki: omena, Kibuye ")
    [search] = searches(network)
    assert search.query == "omena" and search.place_name == "Nakuru"


def test_without_a_place_the_searchers_own_place_decides(chat, network):
    with unit_of_work(network) as session:
        tomas = session.scalar(select(Member).where(Member.phone == TOMAS))
        tomas.place_id = session.scalar(select(Place.id).where(Place.name == "Nakuru"))
    lines = found_lines(chat(TOMAS).send("FIND omena")[0])
    assert lines[0].startswith("Odhiambo: ") and lines[1].startswith("Mama Samaki: ")


def test_unknown_distance_comes_last(chat, network):
    with unit_of_work(network) as session:
        wanjiku = session.scalar(select(Member).where(Member.phone == WANJIKU))
        wanjiku.place_id, wanjiku.place_name = None, "Dunga"
    lines = found_lines(chat(TOMAS).send("FIND omena")[0])
    assert lines == ["Odhiambo: omena, tilapia, Nakuru 149km", "Mama Samaki: omena, Dunga"]


# --- MORE ------------------------------------------------------------------------------------

def more_sellers(factory, count=4):
    """Listed omena sellers in Kisumu, so that a search finds more than three."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        for n in range(count):
            listed(session, f"+25472200010{n}", "trader", cluster, "en", f"Seller {n}", "Kisumu",
                   ["omena"])


@pytest.mark.parametrize(("lang", "find", "more"), [
    ("en", "FIND omena", "MORE"), ("sw", "TAFUTA dagaa", "ZAIDI"),
    ("fr", "CHERCHER omena", "PLUS"), ("pt", "PROCURAR omena", "SEGUINTE"),
])
def test_more_shows_the_next_three_then_says_none_are_left(chat, network, lang, find, more):
    more_sellers(network)
    member = chat(SEARCHERS[lang])
    first = member.send(find)[0]
    label = as_sms(translate(lang, "More"))
    assert first.endswith(f"4) {label}")
    assert [line.split(":")[0] for line in found_lines(first)[:3]] == [
        "Seller 0", "Seller 1", "Seller 2"]
    second = member.send(more)[0]  # the keyword answers the open question
    assert [line.split(":")[0] for line in found_lines(second)] == [
        "Seller 3", "Mama Samaki", "Odhiambo"]
    assert label not in second
    member.send(keyword_word("menu", lang))  # leaves the question: MORE is a command of its own
    [none_left] = member.send(more)
    assert none_left == as_sms(translate(
        lang, 'No more results for "{looked_for}". Send {find} with other words to search again.',
        looked_for=find.split()[1], find=keyword_word("find", lang)))


def test_more_by_its_number_and_without_a_search(chat, network):
    more_sellers(network)
    member = chat(TOMAS)
    assert member.send("MORE") == [
        "Send FIND and what you are looking for, e.g. ice or loans."]
    member.send("FIND omena")
    second = member.send("4")[0]
    assert found_lines(second)[0].startswith("Seller 3: ")
    [search] = searches(network)
    assert search.shown == 6


# --- Introductions ---------------------------------------------------------------------------

def test_choosing_a_member_asks_them_and_yes_shares_both_contacts(chat, network):
    tomas = chat(TOMAS)
    tomas.send("FIND omena")
    [asked] = tomas.send("1")
    assert asked == ("We asked Mama Samaki whether they agree to share contacts. We will tell "
                     "you their answer.")
    [introduction] = introductions(network)
    code = introduction.code
    [question] = sent_to(network, WANJIKU)
    assert question == translate(
        "sw", '{name} found you in the directory looking for "{looked_for}" and would like your '
              'contact. Reply {accept} to share contacts, or {refuse}.',
        name="Searcher en", looked_for="omena", accept=f"NDIYO {code}", refuse=f"HAPANA {code}")
    assert TOMAS not in question
    [shared] = chat(WANJIKU).send(f"NDIYO {code}")
    assert TOMAS in shared and "Telegram @tomas_kikapu" in shared and code in shared
    [told] = sent_to(network, TOMAS)
    assert told == (f'Mama Samaki agreed to share contacts: {WANJIKU} ("omena", code {code}).')
    [introduction] = introductions(network)
    assert introduction.answer is True and introduction.answered_at is not None
    with unit_of_work(network) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["directory.introduction.ask", "directory.introduction.answer"]


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_no_to_an_introduction_tells_the_searcher_politely_without_a_contact(chat, network, lang):
    searcher = chat(SEARCHERS[lang])
    searcher.send(f"{keyword_word('find', lang)} omena Nakuru")
    searcher.send("1")  # Odhiambo, in English
    [introduction] = introductions(network)
    [refused] = chat(ODHIAMBO).send(f"NO {introduction.code}")
    assert refused == f"OK, we will not share your contact ({introduction.code})."
    [told] = sent_to(network, SEARCHERS[lang])
    assert told == translate(lang, '{name} cannot help with "{looked_for}" this time. Send {more} '
                                   'for other results.', name="Odhiambo", looked_for="omena",
                             more=keyword_word("more", lang))
    assert ODHIAMBO not in told
    assert SEARCHERS[lang] not in " ".join(sent_to(network, ODHIAMBO))


def test_a_member_who_left_the_directory_since_is_not_asked(chat, network):
    tomas = chat(TOMAS)
    tomas.send("FIND omena")
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == WANJIKU)).listed = False
    [sorry] = tomas.send("1")
    assert sorry.startswith("Sorry, this member can no longer be contacted")
    assert introductions(network) == [] and sent_to(network, WANJIKU) == []


def test_asking_the_same_member_twice_asks_once(chat, network):
    tomas = chat(TOMAS)
    tomas.send("FIND omena")
    tomas.send("1")
    tomas.send("FIND omena")
    assert tomas.send("1") == ["You already asked Mama Samaki. We will tell you their answer."]
    assert len(introductions(network)) == 1


# --- Misses, the question, consent, who may search --------------------------------------------

@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_a_search_that_finds_nothing_is_answered_and_kept_as_a_miss(chat, network, lang):
    [reply] = chat(SEARCHERS[lang]).send(f"{keyword_word('find', lang)} helicopter spares")
    assert reply == as_sms(translate(
        lang, 'Nothing found for "{looked_for}" yet. Your coordinators will see what members '
              'look for. Try other words.', looked_for="helicopter spares"))
    [search] = searches(network)
    assert not search.found and search.results == [] and search.folded == "helicopter spares"
    with unit_of_work(network) as session:
        [miss] = directory.misses(session, search.cluster_id)
    assert (miss.query, miss.count) == ("helicopter spares", 1)


def test_an_unlisted_unasked_or_opted_out_member_is_never_found(chat, network):
    reply = chat(TOMAS).send("FIND omena")[0]
    assert not any(name in reply for name in NEVER_NAMES)
    with unit_of_work(network) as session:
        never = session.scalars(select(Member.id).where(Member.phone.in_(NEVER))).all()
    assert not any(["member", i] in searches(network)[0].results for i in never)


def test_find_alone_asks_what_is_looked_for(chat, network):
    juma = chat(JUMA)
    assert juma.send("TAFUTA") == [as_sms(translate(
        "sw", "What are you looking for? For example: ice, loans, omena."))]
    assert found_lines(juma.send("barafu")[0])[0].startswith("Kisumu Ice Plant: ")


def test_a_member_never_asked_about_the_directory_is_asked_first(chat, network):
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == TOMAS)).listed = None
    tomas = chat(TOMAS)
    [question] = tomas.send("FIND ice")
    assert question.startswith("Shall we list you in the cluster directory?")
    confirmed, found = tomas.send("2")
    assert confirmed.startswith("You are not listed in the directory.")
    assert found_lines(found)[0].startswith("Kisumu Ice Plant: ")
    with unit_of_work(network) as session:
        assert session.scalar(select(Member).where(Member.phone == TOMAS)).listed is False


def test_a_newcomer_is_told_to_register(chat, network):
    assert chat("+254722000099").send("FIND omena") == [
        "You are not registered yet. Send JOIN to register."]


def test_menu_offers_find_and_help_mentions_it(chat, network):
    juma = chat(JUMA)
    menu = juma.send("MENYU")[0]
    assert "4) Tafuta kwenye orodha" in menu
    assert juma.send("4") == [as_sms(translate(
        "sw", "What are you looking for? For example: ice, loans, omena."))]
    assert "TAFUTA" in chat(JUMA).send("MSAADA")[0]
    assert "FIND what" in chat(TOMAS).send("HELP")[0]


def test_a_last_word_naming_no_known_place_is_left_out_when_the_rest_fits(chat, network):
    lines = found_lines(chat(TOMAS).send("FIND ice Dunga")[0])
    assert lines == ["Kisumu Ice Plant: ice, cold room hire, Kisumu 0km"]
    [search] = searches(network)
    assert (search.query, search.place_name, search.found) == ("ice", "Dunga", True)
