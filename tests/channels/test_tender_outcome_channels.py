"""A tender's outcome end to end: every pledger hears it on their own channel and in their
language, by SMS through Twilio and on Telegram, with their delivery share when it is won."""
import pytest
from live import TelegramUser, sms_to, wait_for
from scenes import AMINA, JUMA, as_sms
from sqlalchemy import select

from handlers.labels import shorten
from handlers.tenders import entry, outcome
from locales.i18n import translate
from storage import products
from storage.db import unit_of_work
from storage.models import Cluster, Member, MemberProduct, Membership
from storage.tenders import Pledge, Tender

BARAKA = "+254722000010"
TOMAS_TG = 4242
# Who pledges, in this order: phone or Telegram id, name, language, kg of omena.
PLEDGERS = ((AMINA, None, "Amina", "fr", 900), (JUMA, None, "Juma", "sw", 700),
            (None, TOMAS_TG, "Tomás", "pt", 400), (BARAKA, None, "Baraka", "en", 300))


@pytest.fixture
def tender(app_url, factory) -> str:
    """A 2-tonne omena tender of Kisumu Fish, pledged in full by four members (the last a
    reserve); its code."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        found = entry.add(session, cluster, "cli", {
            "buyer": "Kisumu County Schools", "title": "Dried fish for school meals",
            "product": "omena", "quantity": "2t", "deadline": "2099-12-20"})
        for phone, telegram_id, name, language, kg in PLEDGERS:
            member = Member(phone=phone, telegram_id=telegram_id, name=name, language=language,
                            language_chosen=True, registered=True)
            member.memberships.append(Membership(cluster_id=cluster.id, role="fisher"))
            member.products.append(MemberProduct(
                product_id=products.by_slug(session, "omena").id, raw_name="omena"))
            session.add(member)
            session.flush()
            found.items[0].pledges.append(Pledge(member_id=member.id, quantity=kg))
            session.flush()
        return found.code


def record(factory, code: str, won: bool, quantity: float | None = None) -> int:
    with unit_of_work(factory) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        return outcome.record(session, found, "cli", won, quantity)


def omena(factory, lang: str) -> str:
    """Omena as the catalog names it in `lang`."""
    with unit_of_work(factory) as session:
        return products.display_name(products.by_slug(session, "omena"), lang)


def title() -> str:
    return shorten("Dried fish for school meals", entry.SHORT_TITLE)


def told(twilio, telegram_api, app_url, code) -> dict[str, str]:
    """The outcome each pledger received, by name."""
    tomas = TelegramUser(telegram_api, app_url, TOMAS_TG)
    received = {"Amina": lambda: sms_to(twilio, AMINA), "Juma": lambda: sms_to(twilio, JUMA),
                "Baraka": lambda: sms_to(twilio, BARAKA),
                "Tomás": lambda: [m.text for m in tomas.received()]}
    return {name: wait_for(lambda read=read: [t for t in read() if code in t])[0]
            for name, read in received.items()}


def test_a_won_tender_tells_each_pledger_their_share_by_sms_and_telegram(
        twilio, telegram_api, app_url, factory, tender):
    assert record(factory, tender, won=True, quantity=1800) == 4
    messages = told(twilio, telegram_api, app_url, tender)
    values = {"code": tender, "title": title()}
    lead = translate("fr", outcome.WON_LEAD, share=f"900kg {omena(factory, 'fr')}", **values)
    assert messages["Amina"] == as_sms(lead)
    assert messages["Juma"] == as_sms(translate("sw", outcome.WON, lead="Amina",
                                                share=f"700kg {omena(factory, 'sw')}", **values))
    assert messages["Tomás"] == translate("pt", outcome.WON, lead="Amina",
                                          share=f"200kg {omena(factory, 'pt')}", **values)
    assert messages["Baraka"] == as_sms(translate(
        "en", outcome.WON_NOT_NEEDED, won="1,800kg", pledged=f"300kg {omena(factory, 'en')}",
        **values))


def test_a_lost_tender_thanks_each_pledger_by_sms_and_telegram(
        twilio, telegram_api, app_url, factory, tender):
    assert record(factory, tender, won=False) == 4
    messages = told(twilio, telegram_api, app_url, tender)
    for phone, telegram_id, name, lang, kg in PLEDGERS:
        text = translate(lang, outcome.LOST, code=tender, title=title(),
                         pledged=f"{kg}kg {omena(factory, lang)}")
        assert messages[name] == (text if telegram_id else as_sms(text))
