"""The directory end to end: FIND over signed Twilio webhooks and Telegram updates in each
language, results as numbers on SMS and buttons on Telegram, MORE, an introduction asked on the
listed member's own channel and answered there, and an institution's contact at once."""
import pytest
from live import TelegramUser, sms_and_wait, sms_to, wait_for
from scenes import AMINA, JUMA, as_sms
from sqlalchemy import select

from locales.i18n import fold, translate
from storage import products
from storage.db import unit_of_work
from storage.directory import DirectoryIntroduction, DirectorySearch, Institution
from storage.models import Cluster, Member, MemberProduct, Membership, Place

KEVIN, ROSA = "+254722000023", "+254722000024"
SEARCHERS = {"en": KEVIN, "sw": JUMA, "fr": AMINA, "pt": ROSA}
ODHIAMBO = "+254722000012"
TOMAS_TG, WANJIKU_TG = 4242, 4343
FIND = {"en": "FIND omena", "sw": "TAFUTA dagaa", "fr": "CHERCHER omena", "pt": "PROCURAR dagaa"}
LOANS = {"en": "FIND loans", "sw": "TAFUTA mkopo", "fr": "CHERCHER crédit",
         "pt": "PROCURAR empréstimo"}


def member(session, cluster, place, *, phone=None, telegram_id=None, username=None, name,
           language, listed, business=None, offered=(), role="trader"):
    found = Member(phone=phone, telegram_id=telegram_id, telegram_username=username, name=name,
                   language=language, language_chosen=True, registered=True,
                   place_name=place.name, place_id=place.id, listed=listed,
                   business_name=business)
    found.memberships.append(Membership(cluster_id=cluster.id, role=role))
    for slug in offered:
        found.products.append(MemberProduct(product_id=products.by_slug(session, slug).id,
                                            raw_name=slug))
    session.add(found)


@pytest.fixture
def directory(app_url, factory):
    """Kisumu Fish: searchers in each language by SMS and Tomás (en) on Telegram, none listed;
    listed: Mama Samaki (Wanjiku, sw, Telegram, Kibuye), Odhiambo (en, SMS, Nakuru) and three
    sellers in Kisumu, all with omena; Lake Credit SACCO, not verified."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        place = {p.name: p for p in session.scalars(select(Place).where(
            Place.name.in_(["Kisumu", "Kibuye (Kisumu)", "Nakuru"])))}
        for lang, phone in SEARCHERS.items():
            member(session, cluster, place["Kisumu"], phone=phone, name=f"Searcher {lang}",
                   language=lang, listed=False)
        member(session, cluster, place["Kisumu"], telegram_id=TOMAS_TG, username="tomas_kikapu",
               name="Tomás", language="en", listed=False)
        member(session, cluster, place["Kibuye (Kisumu)"], telegram_id=WANJIKU_TG,
               username="mama_samaki", name="Wanjiku", language="sw", listed=True,
               business="Mama Samaki", offered=["omena"], role="fish_processor")
        member(session, cluster, place["Nakuru"], phone=ODHIAMBO, name="Odhiambo",
               language="en", listed=True, offered=["omena", "tilapia"])
        for n in range(3):
            member(session, cluster, place["Kisumu"], phone=f"+25472200010{n}",
                   name=f"Seller {n}", language="en", listed=True, offered=["omena"])
        session.add(Institution(cluster_id=cluster.id, name="Lake Credit SACCO",
                                folded_name="lake credit sacco", categories=["finance"],
                                services=["boat loans"], place_id=place["Kisumu"].id,
                                place_name="Kisumu", phone="+254720333444", verified=False))
    return app_url


def introduction(factory) -> DirectoryIntroduction:
    with unit_of_work(factory) as session:
        found = session.scalar(select(DirectoryIntroduction))
        session.expunge_all()
        return found


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_find_over_sms_numbers_the_best_three_with_more(twilio, directory, factory, lang):
    phone = SEARCHERS[lang]
    [found] = sms_and_wait(twilio, directory, phone, FIND[lang])
    head, numbered = found.split("\n")
    assert fold(head) == fold(translate(lang, 'Found for "{looked_for}". Send a number to get in '
                                              'touch:', looked_for=FIND[lang].split()[1]))
    assert numbered.startswith("1) Seller 0: ") and " 3) Seller 2: " in numbered
    assert fold(numbered).endswith(f"4) {fold(translate(lang, 'More'))}")
    assert "Mama Samaki" not in numbered and ODHIAMBO not in numbered
    [more] = sms_and_wait(twilio, directory, phone, "4")
    assert "1) Mama Samaki: " in more and " 2) Odhiambo: " in more and "3)" not in more
    with unit_of_work(factory) as session:
        assert session.scalar(select(DirectorySearch.shown)) == 5


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_an_institution_over_sms_gives_its_contact_at_once(twilio, directory, lang):
    phone = SEARCHERS[lang]
    [found] = sms_and_wait(twilio, directory, phone, LOANS[lang])
    assert "1) Lake Credit SACCO: boat loans, Kisumu 0km" in found
    [contact] = sms_and_wait(twilio, directory, phone, "1")
    assert contact == as_sms(translate(
        lang, "{name}: {links}. Offers: {offered}. Not verified yet: please check before you go.",
        name="Lake Credit SACCO", links="+254720333444", offered="boat loans"))


def test_an_sms_searcher_and_a_telegram_member_meet_after_her_yes(twilio, telegram_api,
                                                                   directory, factory):
    wanjiku = TelegramUser(telegram_api, directory, WANJIKU_TG)
    sms_and_wait(twilio, directory, AMINA, "CHERCHER omena Kibuye")
    [asked] = sms_and_wait(twilio, directory, AMINA, "1")
    assert fold(asked).startswith(fold("Nous avons demandé à Mama Samaki s'il accepte"))
    code = introduction(factory).code
    request = wait_for(lambda: [m.text for m in wanjiku.received() if code in m.text])[0]
    assert request == translate(
        "sw", '{name} found you in the directory looking for "{looked_for}" and would like your '
              'contact. Reply {accept} to share contacts, or {refuse}.',
        name="Searcher fr", looked_for="omena", accept=f"NDIYO {code}", refuse=f"HAPANA {code}")
    [shared] = wanjiku.send(f"NDIYO {code}")
    assert AMINA in shared.text
    told = wait_for(lambda: [t for t in sms_to(twilio, AMINA) if "mama_samaki" in t])[0]
    assert told == as_sms(translate(
        "fr", '{name} agreed to share contacts: {contact} ("{looked_for}", code {code}).',
        name="Mama Samaki", contact="Telegram @mama_samaki", looked_for="omena", code=code))


def test_telegram_buttons_choose_a_result_and_more_and_a_no_is_told_politely(
        twilio, telegram_api, directory, factory):
    tomas = TelegramUser(telegram_api, directory, TOMAS_TG)
    [found] = tomas.send("/find omena Nakuru")
    labels = [b["text"] for row in found.reply_markup["inline_keyboard"] for b in row]
    assert labels[0] == "Odhiambo: omena, tilapia, Nakuru 0km" and labels[-1] == "More"
    assert len(labels) == 4
    [more] = tomas.press("More")
    assert [b["text"] for row in more.reply_markup["inline_keyboard"] for b in row] == [
        "Seller 1: omena, Kisumu 149km", "Seller 2: omena, Kisumu 149km"]
    tomas.send("/find omena Nakuru")
    [asked] = tomas.press("Odhiambo: omena, tilapia, Nakuru 0km")
    assert asked.text.startswith("We asked Odhiambo whether they agree to share contacts.")
    code = introduction(factory).code
    notice = wait_for(lambda: [t for t in sms_to(twilio, ODHIAMBO) if code in t])[0]
    assert f"Reply YES {code} to share contacts, or NO {code}." in notice
    assert "tomas_kikapu" not in notice
    [refused] = sms_and_wait(twilio, directory, ODHIAMBO, f"NO {code}")
    assert refused == f"OK, we will not share your contact ({code})."
    told = wait_for(lambda: [m.text for m in tomas.received() if "cannot help" in m.text])[0]
    assert told == 'Odhiambo cannot help with "omena" this time. Send MORE for other results.'
    assert ODHIAMBO not in told
