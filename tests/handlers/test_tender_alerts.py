"""Tender alerts, reminders and closing: Kisumu County buys dried omena; the members who supply it
hear of it once each in their language, opted-out, deleted and other clusters' members never;
two days before the deadline pledgers and the coordinator are reminded once; at the deadline the
tender closes. The clock stands on Wednesday 25 November 2026, 10:00 in Nairobi."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member, as_sms, lamu_crafts, outbox
from sqlalchemy import select

from bot.scheduler import periodic_jobs
from handlers.budget import SMS, count_segments, fits_budget, numbered
from handlers.tenders import alerts, eligibility, reminders
from handlers.tenders.alerts import send_alerts
from handlers.tenders.entry import add
from handlers.tenders.reminders import remind_and_close
from handlers.turn import Inbound, Turn
from locales.i18n import keyword_word, translate
from storage import products
from storage.db import unit_of_work
from storage.market import Listing
from storage.models import AuditEntry, Cluster, Member
from storage.tenders import Pledge, Tender, TenderAlert, TenderItem

NAIROBI = ZoneInfo("Africa/Nairobi")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NAIROBI)
TOMAS_TELEGRAM = 4242
OPTED_OUT, DELETED, OUTSIDER, TILAPIA = ("+254722000009", "+254722000010", "+254722000011",
                                         "+254722000012")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def network(factory, kisumu, clock):
    """Kisumu Fish: Juma (sw) and Amina (fr) deal in omena, Tomás (pt, Telegram) sells it, Grace
    (en) coordinates and deals in tilapia; a member who opted out and one who deleted their data
    deal in omena too, as does a member of Lamu Crafts only."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu", product="omena")
        add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina", product="omena")
        tomas = add_member(session, TOMAS, "trader", kisumu, "pt", "Tomás",
                           telegram_id=TOMAS_TELEGRAM)
        session.add(Listing(member_id=tomas.id, cluster_id=kisumu.id, number=1, kind="sell",
                            product_id=products.by_slug(session, "omena").id,
                            product_name="omena", product_key="omena", quantity=300, unit="kg",
                            price=120, price_unit="kg", currency="KES", place_name="Kisumu",
                            place_key="kisumu", expires_at=NOW + timedelta(days=7)))
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", product="tilapia",
                   coordinator=True)
        add_member(session, TILAPIA, "fisher", kisumu, "en", "Otieno", product="tilapia")
        add_member(session, OPTED_OUT, "fisher", kisumu, "sw", "Akinyi", product="omena",
                   opted_out=True)
        gone = add_member(session, DELETED, "fisher", kisumu, "sw", "Baraka", product="omena")
        gone.deleted_at = NOW
        add_member(session, OUTSIDER, "fisher", lamu_crafts(session), "en", "Fatma",
                   product="omena")
    return factory


def new_tender(factory, **fields) -> str:
    """A tender of Kisumu Fish entered as the CLI does; its code."""
    given = {"buyer": "Kisumu County Schools", "title": "Dried fish for school meals",
             "product": "omena", "quantity": "2t", "deadline": "2026-12-02 12:00",
             "max_price": "150/kg", "deliver_to": "Kisumu", **fields}
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish"))
        return add(session, cluster, "cli", given).code


def alert(factory) -> int:
    with unit_of_work(factory) as session:
        return send_alerts(session, datetime.now(timezone.utc))


def remind(factory) -> tuple[int, int]:
    with unit_of_work(factory) as session:
        return remind_and_close(session, datetime.now(timezone.utc))


def sent_to(factory, address, after=0) -> list[str]:
    return [m.text for m in outbox(factory)
            if m.kind == "tender" and m.address == str(address) and m.id > after]


def last_id(factory) -> int:
    return max((m.id for m in outbox(factory)), default=0)


def tender(factory, code) -> Tender:
    with unit_of_work(factory) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        session.expunge_all()
        return found


def pledge(factory, code, phone, quantity, price=None, position=1):
    with unit_of_work(factory) as session:
        item = session.scalar(select(TenderItem).join(Tender).where(
            Tender.code == code, TenderItem.position == position))
        member = session.scalar(select(Member).where(Member.phone == phone))
        session.add(Pledge(item_id=item.id, member_id=member.id, quantity=quantity, price=price))


# --- Alerts -----------------------------------------------------------------------------------

def test_suppliers_are_alerted_once_in_their_language_and_no_one_else(network):
    code = new_tender(network)
    assert alert(network) == 3
    assert alert(network) == 0  # the job runs again: nobody is told twice
    assert sent_to(network, GRACE) == sent_to(network, TILAPIA) == []  # tilapia only
    assert sent_to(network, OPTED_OUT) == sent_to(network, DELETED) == []
    assert sent_to(network, OUTSIDER) == []  # Lamu Crafts: not the tender's cluster
    [juma] = sent_to(network, JUMA)
    assert juma == (
        f"Zabuni {code}: Kisumu County Schools ananunua dagaa 2,000kg (hadi KES 150/kg), "
        f"kufikishwa Kisumu. Ahadi zinafungwa Jumatano 2 Des 12:00. Kuahidi sehemu, jibu mfano "
        f"{keyword_word('bid', 'sw')} {code} 200kg 135/kg")
    [amina] = sent_to(network, AMINA)
    assert amina.startswith(f"Appel d'offres {code} : Kisumu County Schools achète sardine")
    assert f"{keyword_word('bid', 'fr')} {code} 200kg 135/kg" in amina
    [tomas] = sent_to(network, TOMAS_TELEGRAM)  # an open SELL listing of omena: a supplier
    assert tomas.startswith(f"Concurso {code}: Kisumu County Schools compra sardinha")
    assert f"{keyword_word('bid', 'pt')} {code} 200kg 135/kg" in tomas
    with unit_of_work(network) as session:
        assert len(session.scalars(select(TenderAlert)).all()) == 3
    assert tender(network, code).alerted_at is not None


def test_english_alert_says_what_how_much_where_by_when_and_how_to_pledge(network):
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == AMINA)).language = "en"
    code = new_tender(network)
    alert(network)
    [text] = sent_to(network, AMINA)
    assert text == (
        f"Tender {code}: Kisumu County Schools buys omena 2,000kg (max KES 150/kg), delivered to "
        f"Kisumu. Pledges close Wed 2 Dec 12:00. To pledge part, reply e.g. BID {code} 200kg "
        f"135/kg")
    assert count_segments(as_sms(text)) <= 2


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_alert_of_a_reserved_tender_says_for_whom_within_two_sms(network, lang):
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == JUMA)).language = lang
    new_tender(network, reserved="youth; women; disability",
               buyer="Kenya Medical Supplies Authority and County Government of Kisumu")
    alert(network)
    [text] = sent_to(network, JUMA)
    assert count_segments(as_sms(text)) <= 2
    assert text.endswith(" " + translate(lang, alerts.RESERVED, groups=", ".join(
        translate(lang, eligibility.SHORT_GROUPS[g]) for g in ("youth", "women", "disability"))))


def test_a_tender_of_several_items_shows_the_members_first_with_item_codes(network):
    code = new_tender(network, title="Food for schools")
    with unit_of_work(network) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        for position, slug in enumerate(["maize", "beans", "tilapia", "nile_perch", "sorghum",
                                         "cassava", "millet"], 2):
            product = products.by_slug(session, slug)
            found.items.append(TenderItem(position=position, description=slug,
                                          product_id=product.id if product else None,
                                          quantity=12345, unit="kg", max_price=99999))
        found.items.append(TenderItem(position=9, description="Printer toner", quantity=4,
                                      unit="piece"))
    alert(network)
    [text] = sent_to(network, JUMA)
    assert text.startswith(f"Zabuni {code}: Kisumu County Schools ananunua {code}-1 dagaa "
                           f"2,000kg (hadi KES 150/kg), {code}-2 mahindi 12,345kg")
    assert f"{code}-1 200kg 135/kg" in text  # the example pledges what Juma supplies
    assert count_segments(as_sms(text)) <= 2 and "+" in text and "toner" not in text
    [grace] = sent_to(network, GRACE)  # tilapia is in it now
    assert f"{code}-4 " in grace and grace.index(f"{code}-4") < grace.index(f"{code}-1")


def test_a_tender_without_a_catalog_product_alerts_no_one(network):
    code = new_tender(network)
    with unit_of_work(network) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        found.items[0].product_id = None
    assert alert(network) == 0
    assert tender(network, code).alerted_at is not None


def test_planned_closed_or_past_tenders_are_not_alerted(network, clock):
    planned, closed, past = new_tender(network), new_tender(network), new_tender(network)
    with unit_of_work(network) as session:
        by = {t.code: t for t in session.scalars(select(Tender))}
        by[planned].status = "planned"
        by[closed].closed_at = NOW
        by[past].deadline = NOW + timedelta(minutes=5)
    clock.move_to(NOW + timedelta(minutes=6))
    assert alert(network) == 0
    with unit_of_work(network) as session:  # a planned tender that opens is alerted then
        session.scalar(select(Tender).where(Tender.code == planned)).status = "active"
    assert alert(network) == 3


def test_no_delivery_place_leaves_it_out(network):
    code = new_tender(network, deliver_to="", max_price="")
    alert(network)
    [text] = sent_to(network, TOMAS_TELEGRAM)
    assert text == (f"Concurso {code}: Kisumu County Schools compra sardinha de água doce 2.000kg. "
                    f"Propostas até qua. 2 dez. 12:00. Para oferecer parte, responda p. ex. "
                    f"{keyword_word('bid', 'pt')} {code} 200kg")


def test_alerts_job_runs_on_the_configured_database(network, job_database):
    new_tender(network)
    alerts.alerts_job()
    alerts.alerts_job()
    assert len(sent_to(network, JUMA)) == 1
    assert ("tender-alerts", "handlers.tenders:alerts_job",
            {"trigger": "interval", "minutes": 10}) in periodic_jobs()


# --- Reminders and closing --------------------------------------------------------------------

def test_pledgers_and_coordinator_are_reminded_two_days_before_once(network, clock):
    code = new_tender(network)
    pledge(network, code, JUMA, 1500, 140)
    pledge(network, code, AMINA, 300)
    assert remind(network) == (0, 0)  # a week ahead
    clock.move_to(datetime(2026, 11, 30, 11, 59, tzinfo=NAIROBI))
    assert remind(network) == (0, 0)  # one minute early
    before = last_id(network)
    clock.move_to(datetime(2026, 11, 30, 12, 0, tzinfo=NAIROBI))
    assert remind(network) == (3, 0)
    assert remind(network) == (0, 0)  # the job runs twice: sent once
    [juma] = sent_to(network, JUMA, before)
    assert juma.startswith(f"Kumbusho: zabuni {code} (Kisumu County Schools) inafungwa Jumatano "
                           f"2 Des 12:00. Uliahidi dagaa 1,500kg kwa KES 140/kg.")
    assert f"{keyword_word('bid', 'sw')} {code} 1,500kg" in juma
    assert f"{keyword_word('bid', 'sw')} {code} 0" in juma and "KES 140/kg" in juma
    [amina] = sent_to(network, AMINA, before)
    assert code in amina and "300kg" in amina
    [grace] = sent_to(network, GRACE, before)
    assert grace == (f"Tender {code} (Kisumu County Schools) closes Wed 2 Dec 12:00. Still "
                     f"short: omena 200kg (pledgers: 2).")
    assert sent_to(network, TOMAS_TELEGRAM, before) == []  # alerted maybe, but no pledge
    assert all(count_segments(as_sms(t)) <= 2 for t in (juma, amina, grace))
    assert tender(network, code).reminded_at is not None


def test_covered_tender_tells_the_coordinator_so(network, clock):
    code = new_tender(network)
    pledge(network, code, JUMA, 1500)
    pledge(network, code, AMINA, 800)  # 300kg of it a reserve
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=NAIROBI))
    before = last_id(network)
    assert remind(network) == (3, 0)
    assert sent_to(network, GRACE, before) == [
        f"Tender {code} (Kisumu County Schools) closes Wed 2 Dec 12:00. The pledges cover it "
        f"(pledgers: 2)."]


def test_tender_closes_at_its_deadline_and_is_reminded_no_more(network, clock):
    code = new_tender(network)
    other = new_tender(network, deadline="2026-12-20")
    clock.move_to(datetime(2026, 12, 2, 11, 59, tzinfo=NAIROBI))
    assert remind(network) == (1, 0)  # only Grace: no pledges
    clock.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=NAIROBI))
    assert remind(network) == (0, 1)
    assert remind(network) == (0, 0)
    assert tender(network, code).closed_at is not None
    assert tender(network, other).closed_at is None


def test_late_job_closes_without_reminding(network, clock):
    code = new_tender(network)
    pledge(network, code, JUMA, 1500)
    clock.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=NAIROBI))  # the job was down
    before = last_id(network)
    assert remind(network) == (0, 1)
    assert sent_to(network, JUMA, before) == []


def test_opted_out_pledger_is_not_reminded(network, clock):
    code = new_tender(network)
    pledge(network, code, JUMA, 1500)
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == JUMA)).opted_out = True
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=NAIROBI))
    assert remind(network) == (1, 0)  # Grace only
    assert sent_to(network, JUMA) == []


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_reminder_of_many_pledges_fits_two_sms(network, clock, lang):
    code = new_tender(network, buyer="Kenya Medical Supplies Authority and County Government")
    with unit_of_work(network) as session:
        found = session.scalar(select(Tender).where(Tender.code == code))
        session.scalar(select(Member).where(Member.phone == JUMA)).language = lang
        session.scalar(select(Member).where(Member.phone == GRACE)).language = lang
        for position in range(2, 9):
            found.items.append(TenderItem(position=position, description="x",
                                          product_id=products.by_slug(session, "omena").id,
                                          quantity=1_000_000, unit="kg"))
    for position in range(1, 9):
        pledge(network, code, JUMA, 12345.5, 99999, position=position)
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=NAIROBI))
    remind(network)
    [juma] = sent_to(network, JUMA)
    [grace] = sent_to(network, GRACE)
    assert count_segments(as_sms(juma)) <= 2 and count_segments(as_sms(grace)) <= 2
    assert "+" in juma and f"{code}-2 " in grace


def test_reminders_job_runs_on_the_configured_database(network, clock, job_database):
    code = new_tender(network)
    clock.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=NAIROBI))
    reminders.reminders_job()
    reminders.reminders_job()
    assert tender(network, code).closed_at is not None
    assert ("tender-reminders", "handlers.tenders:reminders_job",
            {"trigger": "interval", "minutes": 15}) in periodic_jobs()


# --- Reserved-group eligibility -----------------------------------------------------------------

PHONES = {"en": GRACE, "sw": JUMA, "fr": AMINA, "pt": TILAPIA}


def start_eligibility(factory, phone, code, preface=None) -> list[str]:
    """What a pledge on a reserved tender does for a member never asked: the question, in one
    message with the pledge's confirmation (`preface`); the texts of the replies, as SMS shows
    them."""
    with unit_of_work(factory) as session:
        member = session.scalar(select(Member).where(Member.phone == phone))
        found = session.scalar(select(Tender).where(Tender.code == code))
        turn = Turn(session=session, member=member, inbound=Inbound(channel="console",
                                                                     address=phone))
        if eligibility.unasked(member, found):
            eligibility.ask(turn, preface=preface)
        return [as_sms(numbered(r.text, [c.label for c in r.choices])) for r in turn.replies]


def groups_of(factory, phone):
    with unit_of_work(factory) as session:
        return session.scalar(select(Member).where(Member.phone == phone)).reserved_groups


def question(lang, msgid, *labels) -> str:
    """The question as SMS shows it."""
    return as_sms(numbered(translate(lang, msgid), [translate(lang, label) for label in labels]))


GROUP_CHOICES = (eligibility.YES, eligibility.NO, eligibility.PREFER_NOT)


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_pledger_on_a_reserved_tender_is_asked_with_consent_and_groups_are_kept(
        chat, network, lang):
    phone = PHONES[lang]
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == phone)).language = lang
    code = new_tender(network, reserved="women; youth")
    assert start_eligibility(network, phone, code) == [
        question(lang, eligibility.CONSENT, eligibility.YES, eligibility.PREFER_NOT)]
    person = chat(phone)
    assert person.send("1") == [question(lang, eligibility.QUESTIONS["youth"], *GROUP_CHOICES)]
    assert person.send("2") == [question(lang, eligibility.QUESTIONS["women"], *GROUP_CHOICES)]
    assert person.send("1") == [
        question(lang, eligibility.QUESTIONS["disability"], *GROUP_CHOICES)]
    [done] = person.send("1")
    assert done == as_sms(translate(lang, eligibility.RECORDED, groups=", ".join(
        translate(lang, eligibility.GROUPS[g]) for g in ("women", "disability"))))
    assert groups_of(network, phone) == ["women", "disability"]
    assert start_eligibility(network, phone, code) == []  # asked once
    with unit_of_work(network) as session:
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "member.reserved_groups")).all()
        assert entry.details["groups"] == ["women", "disability"]


@pytest.mark.parametrize("lang", ["en", "sw", "fr", "pt"])
def test_prefer_not_to_say_keeps_nothing_and_is_not_asked_again(chat, network, lang):
    phone = PHONES[lang]
    with unit_of_work(network) as session:
        session.scalar(select(Member).where(Member.phone == phone)).language = lang
    code = new_tender(network, reserved="youth")
    start_eligibility(network, phone, code)
    assert chat(phone).send("2") == [as_sms(translate(lang, eligibility.NOTHING_KEPT))]
    assert groups_of(network, phone) == []
    assert start_eligibility(network, phone, code) == []


def test_prefer_not_to_say_midway_forgets_what_was_said(chat, network):
    code = new_tender(network, reserved="youth")
    start_eligibility(network, JUMA, code)
    juma = chat(JUMA)
    juma.send("NDIYO")  # the word answers too
    juma.send("1")  # youth: yes
    assert juma.send("3") == [translate("sw", eligibility.NOTHING_KEPT)]
    assert groups_of(network, JUMA) == []


def test_none_of_the_groups_is_recorded_as_none(chat, network):
    code = new_tender(network, reserved="disability")
    start_eligibility(network, GRACE, code)
    grace = chat(GRACE)
    for answer in ("yes", "no", "no"):
        grace.send(answer)
    assert grace.send("no") == [translate("en", eligibility.NONE_OF_THEM)]
    assert groups_of(network, GRACE) == []


def test_a_command_leaves_the_question_and_the_member_stays_unasked(chat, network):
    code = new_tender(network, reserved="women")
    start_eligibility(network, GRACE, code)
    [reply] = chat(GRACE).send("HELP")
    assert reply != translate("en", eligibility.NOTHING_KEPT)
    assert groups_of(network, GRACE) is None
    assert start_eligibility(network, GRACE, code) != []


def test_open_tender_asks_nothing_and_the_question_follows_a_preface(chat, network):
    open_tender = new_tender(network)
    assert start_eligibility(network, GRACE, open_tender) == []
    reserved = new_tender(network, reserved="youth")
    [text] = start_eligibility(network, GRACE, reserved, preface="Pledged: 500kg.")
    assert text.startswith("Pledged: 500kg.\n" + translate("en", eligibility.CONSENT))
    assert fits_budget(SMS, text)


def test_then_goes_on_once_answered(chat, network):
    went_on = []
    eligibility.THEN["test"] = lambda turn, text: went_on.append(text)
    try:
        code = new_tender(network, reserved="youth")
        with unit_of_work(network) as session:
            member = session.scalar(select(Member).where(Member.phone == GRACE))
            turn = Turn(session=session, member=member,
                        inbound=Inbound(channel="console", address=GRACE))
            eligibility.ask(turn, then="test", text=f"BID {code} 500kg")
        chat(GRACE).send("2")
        assert went_on == [f"BID {code} 500kg"]
    finally:
        del eligibility.THEN["test"]
