"""BID end to end over signed Twilio webhooks and Telegram updates: pledges in each language,
the missing parts asked with buttons on Telegram, the consortium's notices delivered on each
member's own channel, a reserve moved up after a withdrawal."""
from datetime import datetime, timedelta, timezone

import pytest
from live import TelegramUser, labels, sms_and_wait, sms_to, wait_for
from scenes import AMINA, GRACE, JUMA, as_sms
from sqlalchemy import select

from handlers.market.showing import amount_label
from handlers.tenders import consortium, pledges
from locales.i18n import SHIPPED, keyword_word, translate
from storage import products
from storage.catalog import load_products
from storage.db import unit_of_work
from storage.models import Cluster, Member, MemberProduct, Membership
from storage.tenders import Pledge, Tender, TenderItem

BARAKA, ROSA = "+254722000010", "+254722000014"
PLEDGERS = {"en": BARAKA, "sw": JUMA, "fr": AMINA, "pt": ROSA}
TOMAS_TG, WANJIRU_TG = 4242, 4343
TITLE = "Dried omena for school meals"


@pytest.fixture
def suppliers(app_url, factory):
    """Kisumu Fish: a supplier per language by SMS, Tomás (en) and Wanjiru (sw) on Telegram,
    Grace (en, SMS) coordinates."""
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        people = [(phone, None, f"Supplier {lang}", lang) for lang, phone in PLEDGERS.items()]
        people += [(None, TOMAS_TG, "Tomás", "en"), (None, WANJIRU_TG, "Wanjiru", "sw"),
                   (GRACE, None, "Grace", "en")]
        for phone, telegram_id, name, language in people:
            member = Member(phone=phone, telegram_id=telegram_id, name=name, language=language,
                            language_chosen=True, registered=True)
            member.memberships.append(Membership(cluster_id=cluster.id, role="trader"))
            if phone == GRACE:
                member.memberships.append(Membership(cluster_id=cluster.id, role="coordinator"))
            member.products.append(MemberProduct(
                product_id=products.by_slug(session, "omena").id, raw_name="omena"))
            session.add(member)
    return app_url


def add_tender(factory, items=(("omena", 1000, "kg"),), code="K4P7") -> None:
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        tender = Tender(cluster_id=cluster.id, code=code, buyer="Kisumu County", title=TITLE,
                        currency="KES", deadline=datetime.now(timezone.utc) + timedelta(days=10))
        for position, (slug, quantity, unit) in enumerate(items, 1):
            tender.items.append(TenderItem(
                position=position, description=slug, quantity=quantity, unit=unit,
                product_id=products.by_slug(session, slug).id))
        session.add(tender)


def pledged(factory) -> list[tuple[str, int, float, float | None]]:
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(Member.name, TenderItem.position, Pledge.quantity, Pledge.price)
            .join(Pledge, Pledge.member_id == Member.id).join(TenderItem)
            .order_by(Pledge.pledged_at, Pledge.id))
        return [tuple(row) for row in rows]


def deadline(factory) -> str:
    with unit_of_work(factory) as session:
        return session.scalar(select(Tender.deadline)).strftime("%d/%m")


def omena(lang):
    return {p.slug: p.names for p in load_products()}["omena"][lang][0]


def kg(amount, lang):
    return amount_label(amount, "kg", lang)


@pytest.mark.parametrize("lang", SHIPPED)
def test_pledges_over_sms_form_the_consortium_and_everyone_is_told(twilio, suppliers, factory,
                                                                  lang):
    add_tender(factory)
    phone, bid = PLEDGERS[lang], keyword_word("bid", lang)
    [reply] = sms_and_wait(twilio, suppliers, phone, f"{bid} K4P7 gunia 4 za kilo 90 120/kg")
    assert reply == as_sms(translate(lang, pledges.PLEDGED, code="K4P7",
                                     pledged=f"{kg(360, lang)} {omena(lang)}, KES 120/kg",
                                     share=kg(360, lang), need=kg(1000, lang),
                                     open=kg(640, lang)))
    other = next(p for code, p in PLEDGERS.items() if code != lang)
    sms_and_wait(twilio, suppliers, other, "BID K4P7 1t")  # 640kg of it fill the need
    assert pledged(factory) == [(f"Supplier {lang}", 1, 360, 120),
                                (f"Supplier {next(c for c, p in PLEDGERS.items() if p == other)}",
                                 1, 1000, None)]
    # Both are told the consortium is formed, on SMS, each in their language; the lead is the
    # larger share (640kg against 360kg); Grace gets the bid sheet's summary.
    told = wait_for(lambda: [t for t in sms_to(twilio, phone) if "K4P7" in t][1:])
    lead = next(c for c, p in PLEDGERS.items() if p == other)
    assert told == [as_sms(translate(lang, consortium.FORMED, code="K4P7", subject=TITLE,
                                     lead=f"Supplier {lead}", share=f"{kg(360, lang)} "
                                     f"{omena(lang)}", deadline=deadline(factory)))]
    summary = wait_for(lambda: [t for t in sms_to(twilio, GRACE) if "K4P7" in t])
    assert summary[0].startswith("Consortium formed for K4P7 (Dried omena for school meals): "
                                 "2 members, 1,000kg omena (KES 120/kg). Lead: Supplier")
    assert "clusterbot tender show K4P7" in summary[0]


def test_bid_on_telegram_asks_with_buttons(telegram_api, suppliers, factory):
    add_tender(factory, items=(("omena", 1000, "kg"), ("tilapia", 300, "kg")))
    tomas = TelegramUser(telegram_api, suppliers, TOMAS_TG)
    [question] = tomas.send("/bid")
    assert question.text == translate("en", pledges.ASK_CODE)
    assert labels(tomas.received()) == ["K4P7 Dried omena for s..."]
    [which] = tomas.press("K4P7 Dried omena for s...")
    assert which.text == translate("en", pledges.ASK_ITEM, code="K4P7", first="K4P7-1")
    assert labels(tomas.received()) == ["K4P7-1 omena 1,000kg", "K4P7-2 tilapia 300kg"]
    [amount] = tomas.press("K4P7-2 tilapia 300kg")
    assert amount.text.startswith("How much tilapia do you pledge for K4P7-2? Still open: 300kg.")
    [reply] = tomas.send("300kg 250/kg")
    assert reply.text == translate("en", pledges.PLEDGED, code="K4P7-2",
                                   pledged="300kg tilapia, KES 250/kg",
                                   share="300kg", need="300kg", open="0kg")
    wanjiru = TelegramUser(telegram_api, suppliers, WANJIRU_TG)
    received = wanjiru.send("ZABUNI K4P7-1 tani 1", replies=2)  # the reply, and the consortium
    assert translate("sw", pledges.PLEDGED, code="K4P7-1", pledged="1,000kg dagaa",
                     share="1,000kg", need="1,000kg", open="0kg") in [m.text for m in received]
    # Both items are covered: each pledger is told on Telegram, in their language. Each fills
    # all of an item: the earlier pledge, Tomás's, leads.
    assert translate("sw", consortium.FORMED, code="K4P7", subject=TITLE, lead="Tomás",
                     share="1,000kg dagaa", deadline=deadline(factory)) in [
                         m.text for m in received]
    told = wait_for(lambda: [m.text for m in tomas.received() if "is formed" in m.text])
    assert told == [translate("en", consortium.FORMED_LEAD, code="K4P7", subject=TITLE,
                              share="300kg tilapia", deadline=deadline(factory))]


def test_a_reserve_moves_up_after_a_withdrawal_on_its_own_channel(twilio, telegram_api,
                                                                   suppliers, factory):
    add_tender(factory)
    sms_and_wait(twilio, suppliers, BARAKA, "PLEDGE K4P7 600kg")
    sms_and_wait(twilio, suppliers, JUMA, "ZABUNI K4P7 400kg")  # formed
    wait_for(lambda: [t for t in sms_to(twilio, JUMA) if "umeundwa" in t])
    wanjiru = TelegramUser(telegram_api, suppliers, WANJIRU_TG)
    [reserve] = wanjiru.send("ZABUNI K4P7 500kg")
    assert reserve.text == translate("sw", pledges.PLEDGED_RESERVE, code="K4P7",
                                     pledged="500kg dagaa", share="0kg", rank="1")
    [withdrawn] = sms_and_wait(twilio, suppliers, JUMA, "ZABUNI K4P7 0")
    assert withdrawn == translate("sw", pledges.WITHDRAWN, code="K4P7")
    moved = wait_for(lambda: [m.text for m in wanjiru.received() if "sasa ni" in m.text])
    assert moved == [translate("sw", consortium.SHARE_CHANGED, code="K4P7", share="400kg dagaa")]
    told = wait_for(lambda: [t for t in sms_to(twilio, GRACE) if "withdrew" in t])
    assert told == [translate("en", consortium.WITHDRAWN_MOVED, name="Supplier sw",
                              code="K4P7", people="Wanjiru")]
    assert [(name, quantity) for name, _, quantity, _ in pledged(factory)] == [
        ("Supplier en", 600), ("Wanjiru", 500)]
