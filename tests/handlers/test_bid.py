"""BID scenes: members of Kisumu Fish pledge parts of a county's tender for dried omena in every
language and many forms; pledges are changed and withdrawn; pledges beyond the need are
reserves; the consortium is formed and its pledgers and coordinator told; reserves move up."""
from datetime import datetime, timedelta, timezone

import pytest
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, as_sms, lamu_crafts, outbox
from sqlalchemy import select

from handlers.budget import to_gsm7
from handlers.market.showing import amount_label
from handlers.tenders import consortium, eligibility, pledges
from locales.i18n import SHIPPED, keyword_aliases, keyword_word, number, translate
from storage import members, products
from storage.db import unit_of_work
from storage.models import AuditEntry, Member
from storage.tenders import Pledge, Tender, TenderItem

BARAKA = "+254722000010"
OUTSIDER = "+254722000011"
STRANGER = "+254722000012"
WANJIRU = "+254722000013"


@pytest.fixture
def network(factory, kisumu):
    """Kisumu Fish: Juma, Amina, Tomás, Baraka and Wanjiru supply fish; Grace coordinates.
    Fatma belongs to Lamu Crafts only."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        lamu = lamu_crafts(session)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu", product="omena")
        add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina", product="omena")
        add_member(session, TOMAS, "trader", kisumu, "pt", "Tomás", product="omena")
        add_member(session, BARAKA, "trader", kisumu, "en", "Baraka", product="omena")
        add_member(session, WANJIRU, "trader", kisumu, "sw", "Wanjiru", product="omena")
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", coordinator=True)
        add_member(session, OUTSIDER, "trader", lamu, "en", "Fatma")
    return factory


def add_tender(factory, items=(("omena", 1000, "kg", None),), code="K4P7", cluster="kisumu-fish",
               **fields) -> str:
    """A tender straight into the database: items as (product slug or None, quantity, unit,
    max price per unit)."""
    with unit_of_work(factory) as session:
        from storage import clusters
        found = clusters.by_slug(session, cluster)
        tender = Tender(cluster_id=found.id, code=code, buyer="Kisumu County",
                        title="Dried omena for school meals", currency="KES",
                        deadline=datetime.now(timezone.utc) + timedelta(days=10), **fields)
        for position, (slug, quantity, unit, max_price) in enumerate(items, 1):
            product = products.by_slug(session, slug) if slug else None
            tender.items.append(TenderItem(
                position=position, description=slug or "Printer toner",
                product_id=product.id if product else None, quantity=quantity, unit=unit,
                max_price=max_price))
        session.add(tender)
    return code


def speak(factory, phone, lang):
    with unit_of_work(factory) as session:
        members.find(session, phone=phone).language = lang


def pledged(factory, code="K4P7") -> list[tuple[str, int, float, float | None]]:
    """(member name, item position, quantity, price) of the tender's pledges, in order."""
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(Member.name, TenderItem.position, Pledge.quantity, Pledge.price)
            .join(Pledge, Pledge.member_id == Member.id).join(TenderItem).join(Tender)
            .where(Tender.code == code).order_by(Pledge.pledged_at, Pledge.id))
        return [tuple(row) for row in rows]


def tender_row(factory, code="K4P7") -> Tender:
    with unit_of_work(factory) as session:
        tender = session.scalar(select(Tender).where(Tender.code == code))
        session.expunge(tender)
        return tender


def notices(factory, phone) -> list[str]:
    return [m.text for m in outbox(factory) if m.kind == "tender" and m.address == phone]


def starts(reply: str, expected: str) -> bool:
    """The reply starts with the message, as SMS shows both (plain letters for accents)."""
    return to_gsm7(reply).startswith(to_gsm7(expected))


def word(lang):
    return keyword_word("bid", lang)


def kg(amount, lang):
    return amount_label(amount, "kg", lang)


def omena(lang):
    with_catalog = {"en": "omena", "sw": "dagaa", "fr": "omena", "pt": "omena"}
    return with_catalog[lang]


def confirmed(lang, pledged_text, share, need, still_open, code="K4P7"):
    """The confirmation of a pledge of `pledged_text` (`500kg` or `500kg, KES 120/kg`)."""
    amount, _, price = pledged_text.partition(", ")
    shown = f"{amount} {product_name(lang)}" + (f", {price}" if price else "")
    return as_sms(translate(lang, pledges.PLEDGED, code=code, pledged=shown, share=share,
                            need=need, open=still_open))


def product_name(lang):
    from storage.catalog import load_products
    names = {p.slug: p.names for p in load_products()}
    return names["omena"][lang][0]


# --- Pledges in many forms, in each language --------------------------------------------------

FORMS = [  # (what follows BID K4P7, quantity in kg, price per kg)
    ("500kg", 500, None),
    ("0.5t 120/kg", 500, 120),
    ("gunia 5 za kilo 90", 450, None),
    ("300", 300, None),
    ("kilo 200 bei 110", 200, 110),
    ("KES 95/kg 250kg", 250, 95),
]


@pytest.mark.parametrize("lang", SHIPPED)
@pytest.mark.parametrize(("text", "quantity", "price"), FORMS)
def test_a_bid_in_many_forms_is_pledged_in_the_items_unit(network, chat, lang, text, quantity,
                                                         price):
    add_tender(network)
    speak(network, JUMA, lang)
    [reply] = chat(JUMA).send(f"{word(lang)} K4P7 {text}")
    shown = kg(quantity, lang) + (f", KES {price}/kg" if price else "")
    assert reply == confirmed(lang, shown, kg(quantity, lang), kg(1000, lang),
                              kg(1000 - quantity, lang))
    assert pledged(network) == [("Juma", 1, quantity, price)]


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_alias_of_bid_pledges(network, chat, lang):
    add_tender(network)
    speak(network, BARAKA, lang)
    for alias in keyword_aliases()["bid"][lang]:
        [reply] = chat(BARAKA).send(f"{alias.upper()} k4p7 100kg")
        assert reply == confirmed(lang, kg(100, lang), kg(100, lang), kg(1000, lang),
                                  kg(900, lang))
    assert pledged(network) == [("Baraka", 1, 100, None)]


@pytest.mark.parametrize("lang", SHIPPED)
def test_half_a_bid_gets_the_missing_part_asked(network, chat, lang):
    add_tender(network)
    speak(network, AMINA, lang)
    amina = chat(AMINA)
    [question] = amina.send(word(lang))
    assert starts(question, translate(lang, pledges.ASK_CODE))
    assert "1) K4P7 Dried omena for s..." in question  # the open tender as a choice
    [amount] = amina.send("1")
    assert starts(amount, translate(lang, pledges.ASK_AMOUNT, code="K4P7",
                                              product=product_name(lang), open=kg(1000, lang),
                                              sample=f"{kg(500, lang)} 120/kg"))
    [reply] = amina.send("400kg 130")
    assert reply == confirmed(lang, f"{kg(400, lang)}, KES 130/kg", kg(400, lang),
                              kg(1000, lang), kg(600, lang))
    # The code alone: the quantity is asked; a quantity without the code: the code is asked.
    amina.send(f"{word(lang)} K4P7")
    [reply] = amina.send("450")
    assert pledged(network) == [("Amina", 1, 450, 130)]  # changed; a price not given is kept
    [question] = amina.send(f"{word(lang)} 500kg")
    assert starts(question, translate(lang, pledges.ASK_CODE))
    [reply] = amina.send("k4p7")
    assert pledged(network) == [("Amina", 1, 500, 130)]


@pytest.mark.parametrize("lang", SHIPPED)
def test_bad_amounts_are_asked_again_with_a_reason_and_nothing_is_saved(network, chat, lang):
    add_tender(network, items=(("omena", 1000, "kg", 150),))
    speak(network, TOMAS, lang)
    tomas = chat(TOMAS)
    [reply] = tomas.send(f"{word(lang)} K4P7 20l")
    assert starts(reply, translate(
        lang, pledges.UNIT_HINT, code="K4P7", product=product_name(lang), unit="kg",
        sample=kg(500, lang)))
    [reply] = tomas.send("500kg 200/kg")  # the answer to the question asked again
    assert starts(reply, translate(lang, pledges.OVER_MAX, code="K4P7",
                                             price="KES 150/kg"))
    [reply] = tomas.send("500 zorks")
    assert starts(reply, translate(lang, pledges.QUANTITY_HINT,
                                             sample=kg(500, lang)))
    [reply] = tomas.send("500kg abc/kg")
    assert starts(reply, translate(lang, pledges.PRICE_HINT))
    assert pledged(network) == []
    [reply] = tomas.send("500kg 150/kg")
    assert pledged(network) == [("Tomás", 1, 500, 150)]
    # A tender that closes while its question is open takes no pledge.
    tomas.send(f"{word(lang)} K4P7")
    with unit_of_work(network) as session:
        session.scalar(select(Tender)).closed_at = datetime.now(timezone.utc)
    assert tomas.send("600kg") == [as_sms(translate(lang, pledges.CLOSED, code="K4P7"))]
    assert pledged(network) == [("Tomás", 1, 500, 150)]


@pytest.mark.parametrize("lang", SHIPPED)
def test_unknown_closed_and_other_clusters_tenders_get_a_clear_answer(network, chat, lang):
    add_tender(network)
    add_tender(network, code="ZZ22", closed_at=datetime.now(timezone.utc))
    add_tender(network, code="LM33", cluster="lamu-crafts")
    speak(network, JUMA, lang)
    juma = chat(JUMA)
    assert juma.send(f"{word(lang)} QQ99 500kg") == [
        as_sms(translate(lang, pledges.UNKNOWN, code="QQ99"))]
    assert juma.send(f"{word(lang)} 4QQ9 500kg") == [  # a code may start with a digit
        as_sms(translate(lang, pledges.UNKNOWN, code="4QQ9"))]
    assert juma.send(f"{word(lang)} LM33 500kg") == [
        as_sms(translate(lang, pledges.UNKNOWN, code="LM33"))]
    assert juma.send(f"{word(lang)} zz22 500kg") == [
        as_sms(translate(lang, pledges.CLOSED, code="ZZ22"))]
    assert juma.send(f"{word(lang)} K4P7-3 500kg") == [
        as_sms(translate(lang, pledges.UNKNOWN, code="K4P7-3"))]
    assert pledged(network, "K4P7") == pledged(network, "ZZ22") == pledged(network, "LM33") == []
    # A member of another cluster is told the same as for an unknown code.
    assert chat(OUTSIDER).send("BID K4P7 100kg") == [
        translate("en", pledges.UNKNOWN, code="K4P7")]


def test_a_tender_past_its_deadline_takes_no_pledge(network, chat):
    add_tender(network)
    with unit_of_work(network) as session:
        session.scalar(select(Tender)).deadline = datetime.now(timezone.utc) - timedelta(hours=1)
    assert chat(BARAKA).send("BID K4P7 100kg") == [translate("en", pledges.CLOSED, code="K4P7")]


def test_a_stranger_is_asked_to_register(network, chat):
    add_tender(network)
    [reply] = chat(STRANGER).send("BID K4P7 100kg")
    assert reply.endswith(keyword_word("join", "en") + ".")
    assert pledged(network) == []


# --- Change and withdrawal ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", SHIPPED)
def test_a_changed_pledge_keeps_its_place_and_zero_withdraws_it(network, chat, lang):
    add_tender(network)
    for phone in (JUMA, AMINA):
        speak(network, phone, lang)
    chat(JUMA).send(f"{word(lang)} K4P7 300kg 100")
    chat(AMINA).send(f"{word(lang)} K4P7 300kg")
    [reply] = chat(JUMA).send(f"{word(lang)} K4P7 600kg")
    assert reply == confirmed(lang, f"{kg(600, lang)}, KES 100/kg", kg(600, lang),
                              kg(1000, lang), kg(100, lang))
    assert pledged(network) == [("Juma", 1, 600, 100), ("Amina", 1, 300, None)]
    assert chat(JUMA).send(f"{word(lang)} K4P7 0") == [
        as_sms(translate(lang, pledges.WITHDRAWN, code="K4P7"))]
    assert pledged(network) == [("Amina", 1, 300, None)]
    assert chat(JUMA).send(f"{word(lang)} K4P7 0") == [
        as_sms(translate(lang, pledges.NO_PLEDGE, code="K4P7"))]
    with unit_of_work(network) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["tender.pledge"] * 3 + ["tender.withdraw"]


# --- Over-pledging, forming the consortium, reserves ------------------------------------------

@pytest.mark.parametrize("lang", SHIPPED)
def test_pledges_beyond_the_need_are_reserves_told_so(network, chat, lang):
    add_tender(network)
    for phone in (JUMA, AMINA, TOMAS):
        speak(network, phone, lang)
    chat(JUMA).send(f"{word(lang)} K4P7 700kg")
    [part] = chat(AMINA).send(f"{word(lang)} K4P7 500kg")
    assert part == as_sms(translate(lang, pledges.PLEDGED_PART, code="K4P7",
                                    pledged=f"{kg(500, lang)} {product_name(lang)}",
                                    share=kg(300, lang)))
    [reserve] = chat(TOMAS).send(f"{word(lang)} K4P7 200kg")
    assert reserve == as_sms(translate(lang, pledges.PLEDGED_RESERVE, code="K4P7",
                                       pledged=f"{kg(200, lang)} {product_name(lang)}",
                                       share=kg(0, lang), rank="1"))


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_consortium_is_formed_when_pledges_cover_the_tender(network, chat, lang):
    add_tender(network, items=(("omena", 1000, "kg", 150),))
    for phone in (JUMA, AMINA, TOMAS, GRACE):
        speak(network, phone, lang)
    chat(TOMAS).send(f"{word(lang)} K4P7 300kg 140")
    chat(JUMA).send(f"{word(lang)} K4P7 600kg 120")
    assert tender_row(network).formed_at is None
    assert notices(network, JUMA) == []
    chat(AMINA).send(f"{word(lang)} K4P7 500kg")  # 100kg of it fills the need, the rest waits
    chat(BARAKA).send("BID K4P7 100kg 100")  # a reserve
    assert tender_row(network).formed_at is not None
    values = {"code": "K4P7", "subject": "Dried omena for school meals",
              "deadline": tender_row(network).deadline.strftime("%d/%m")}
    name = product_name(lang)
    assert notices(network, JUMA) == [translate(lang, consortium.FORMED_LEAD,
                                                share=f"{kg(600, lang)} {name}", **values)]
    assert notices(network, TOMAS) == [translate(lang, consortium.FORMED, lead="Juma",
                                                 share=f"{kg(300, lang)} {name}", **values)]
    assert notices(network, AMINA) == [translate(lang, consortium.FORMED, lead="Juma",
                                                 share=f"{kg(100, lang)} {name}", **values)]
    assert notices(network, BARAKA) == []  # pledged after forming: told by the reply
    # Grace gets the short bid sheet: the need and the weighted price of the shares
    # (600 at 120, 300 at 140; the 100 without a price are not weighed: 126.67 per kg).
    [summary] = notices(network, GRACE)
    assert summary == translate(lang, consortium.FORMED_COORDINATORS, count="3", lead="Juma",
                                sheet=f"{kg(1000, lang)} {name} (KES {number(126.67, lang)}/kg)",
                                show="clusterbot tender show K4P7", **values)
    assert "clusterbot tender show K4P7" in summary


def test_reserves_at_forming_are_told_their_place(network, chat):
    add_tender(network, items=(("omena", 1000, "kg", None),))
    chat(JUMA).send("ZABUNI K4P7 1200kg")  # covers it alone...
    # ...so the consortium is formed at once: Juma leads it.
    assert tender_row(network).formed_at is not None
    chat(BARAKA).send("BID K4P7 100kg")
    assert notices(network, BARAKA) == []


def test_a_withdrawal_after_forming_moves_reserves_up_and_tells_who_moved(network, chat):
    add_tender(network)
    chat(BARAKA).send("BID K4P7 500kg")
    chat(JUMA).send("ZABUNI K4P7 500kg")  # formed: Baraka leads (the earlier of equal shares)
    chat(AMINA).send("OFFRE K4P7 400kg")  # reserve 1
    chat(TOMAS).send("PROPOSTA K4P7 200kg")  # reserve 2
    assert notices(network, BARAKA)[0].startswith(translate(
        "en", "The consortium for {code} ({subject}) is formed, and you lead it.",
        code="K4P7", subject="Dried omena for school meals"))
    [reply] = chat(JUMA).send("ZABUNI K4P7 0")
    assert reply == as_sms(translate("sw", pledges.WITHDRAWN, code="K4P7"))
    assert notices(network, AMINA) == [translate("fr", consortium.SHARE_CHANGED, code="K4P7",
                                                 share=f"{kg(400, 'fr')} {product_name('fr')}")]
    assert notices(network, TOMAS) == [translate("pt", consortium.SHARE_CHANGED, code="K4P7",
                                                 share=f"{kg(100, 'pt')} {product_name('pt')}")]
    assert notices(network, GRACE) [-1] == translate(
        "en", consortium.WITHDRAWN_MOVED, name="Juma", code="K4P7", people="Amina, Tomás")
    # Baraka withdraws too: Tomás's 200kg all count now, and 400kg are missing.
    chat(BARAKA).send("BID K4P7 0")
    assert notices(network, TOMAS)[-1] == translate("pt", consortium.SHARE_CHANGED, code="K4P7",
                                                    share=f"{kg(200, 'pt')} {product_name('pt')}")
    assert notices(network, GRACE)[-1] == translate(
        "en", consortium.WITHDRAWN_SHORT, name="Baraka", code="K4P7", short="400kg omena")
    # Juma pledges again, at the end of the line: it is covered again, Grace is told.
    chat(JUMA).send("ZABUNI K4P7 400kg")
    assert notices(network, GRACE)[-1] == translate(
        "en", consortium.COVERED_AGAIN, name="Juma", code="K4P7", lead="Amina")


def test_raising_an_earlier_pledge_after_forming_tells_who_it_pushes_out(network, chat):
    add_tender(network)
    chat(BARAKA).send("BID K4P7 500kg")
    chat(AMINA).send("OFFRE K4P7 300kg")
    chat(JUMA).send("ZABUNI K4P7 200kg")  # formed
    chat(BARAKA).send("BID K4P7 800kg")  # keeps its place: Amina's share shrinks, Juma is out
    assert notices(network, AMINA)[-1] == translate("fr", consortium.SHARE_CHANGED, code="K4P7",
                                                    share=f"200kg {product_name('fr')}")
    assert notices(network, JUMA)[-1] == translate("sw", consortium.MOVED_OUT, code="K4P7",
                                                   rank="1")


# --- Several items ----------------------------------------------------------------------------

def test_a_tender_of_several_items_asks_which_one(network, chat):
    add_tender(network, items=(("omena", 1000, "kg", None), (None, 10, "piece", None),
                               ("milk", 200, "l", None)))
    baraka = chat(BARAKA)
    [question] = baraka.send("BID K4P7 50l")
    assert question.startswith(translate("en", pledges.ASK_ITEM, code="K4P7", first="K4P7-1"))
    assert "1) K4P7-1 omena 1,000kg" in question and "2) K4P7-3 milk 200l" in question
    assert "toner" not in question.lower()  # an unmapped item is never pledged
    [reply] = baraka.send("2")
    assert reply.startswith("Your pledge for K4P7-3: 50l milk.")
    chat(JUMA).send("ZABUNI K4P7-1 1000kg")
    assert tender_row(network).formed_at is None  # the milk is still short
    assert baraka.send("BID K4P7-2 5 pcs") == [translate("en", pledges.UNKNOWN, code="K4P7-2")]
    chat(AMINA).send("OFFRE K4P7-3 150l")
    assert tender_row(network).formed_at is not None
    assert pledged(network) == [("Baraka", 3, 50, None), ("Juma", 1, 1000, None),
                                ("Amina", 3, 150, None)]
    # BID code 0 withdraws every pledge of the member for the tender.
    assert baraka.send("BID K4P7 0") == [translate("en", pledges.WITHDRAWN, code="K4P7")]
    assert [p[0] for p in pledged(network)] == ["Juma", "Amina"]


# --- The coordinator's choice of lead -------------------------------------------------------

def test_choose_lead_tells_the_pledgers_once_formed(network, chat):
    add_tender(network)
    chat(BARAKA).send("BID K4P7 700kg")
    chat(AMINA).send("OFFRE K4P7 300kg")
    chat(TOMAS).send("PROPOSTA K4P7 100kg")  # a reserve: cannot lead
    with unit_of_work(network) as session:
        tender = session.scalar(select(Tender))
        amina = members.find(session, phone=AMINA)
        tomas = members.find(session, phone=TOMAS)
        assert not consortium.choose_lead(session, tender, tomas, "web:grace@example.org")
        assert consortium.choose_lead(session, tender, amina, "web:grace@example.org")
        assert consortium.lead_of(session, tender).name == "Amina"
    assert notices(network, AMINA)[-1] == translate("fr", consortium.LEAD_YOU, code="K4P7",
                                                 subject="Dried omena for school meals",
                                    deadline=tender_row(network).deadline.strftime("%d/%m"))
    assert notices(network, BARAKA)[-1] == translate("en", consortium.LEAD_CHOSEN, code="K4P7",
                                                     lead="Amina")
    with unit_of_work(network) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "tender.lead")) \
            .actor == "web:grace@example.org"


# --- Reserved tenders -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", SHIPPED)
def test_a_pledge_on_a_reserved_tender_asks_for_the_groups_once(network, chat, lang):
    add_tender(network, reserved=["women"])
    for phone in (AMINA, BARAKA):
        speak(network, phone, lang)
    amina = chat(AMINA)
    confirmation, question = amina.send(f"{word(lang)} K4P7 200kg")
    assert confirmation == confirmed(lang, kg(200, lang), kg(200, lang), kg(1000, lang),
                                     kg(800, lang))
    assert starts(question, translate(lang, eligibility.CONSENT))
    # A command leaves the question: the pledge is changed and she is asked again.
    changed, again = amina.send(f"{word(lang)} K4P7 300kg")
    assert starts(again, translate(lang, eligibility.CONSENT))
    amina.send("1")  # yes, record it
    for _ in eligibility.QUESTIONS:
        amina.send("1")  # yes to each group
    assert members_groups(network, AMINA) == ["youth", "women", "disability"]
    assert len(amina.send(f"{word(lang)} K4P7 400kg")) == 1  # not asked again
    baraka = chat(BARAKA)
    baraka.send(f"{word(lang)} K4P7 100kg")
    baraka.send("2")  # prefer not to say: nothing kept, and never asked again
    assert members_groups(network, BARAKA) == []
    assert len(baraka.send(f"{word(lang)} K4P7 150kg")) == 1
    assert pledged(network) == [("Amina", 1, 400, None), ("Baraka", 1, 150, None)]


def members_groups(factory, phone):
    with unit_of_work(factory) as session:
        return members.find(session, phone=phone).reserved_groups
