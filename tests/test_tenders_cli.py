"""`clusterbot tender add|show|outcome` and `clusterbot tenders import|list`: what an operator
types, what it prints, what the database holds and whom the members are told."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member
from sqlalchemy import select

from handlers.labels import shorten
from handlers.tenders import entry, outcome
from locales.i18n import translate
from storage import clusters, products, tenders
from storage.db import unit_of_work
from storage.market import CODE_ALPHABET
from storage.models import AuditEntry, Member, OutboundMessage, Place, utcnow
from storage.tenders import Pledge

DATA = Path(__file__).resolve().parent / "data"
NAIROBI = ZoneInfo("Africa/Nairobi")
# (phone, language, name, kg pledged, price per kg), in the order they pledged
PLEDGERS = ((AMINA, "en", "Amina", 800, 125), (JUMA, "sw", "Juma", 700, 120),
            (GRACE, "fr", "Grace", 400, None), (TOMAS, "pt", "Tomas", 600, 130))


def in_days(days: int) -> str:
    return (utcnow().astimezone(NAIROBI) + timedelta(days=days)).strftime("%Y-%m-%d")


def add(clusterbot, *more: str):
    return clusterbot("tender", "add", "--cluster", "kisumu-fish",
                      "--buyer", "Kisumu County Referral Hospital",
                      "--title", "Supply of fresh fish to the hospital kitchen",
                      "--product", "dagaa", "--quantity", "2t", "--deadline", in_days(10), *more)


def tender_coded(factory, code: str):
    with unit_of_work(factory) as session:
        tender = tenders.by_code(session, code)
        tender.items, [item.pledges for item in tender.items]  # loaded while the session is open
        return tender


def pledge(factory, code: str, pledgers=PLEDGERS, groups=None) -> dict[str, int]:
    """Each pledger pledges on the tender's one item, a minute apart; phone -> member id."""
    ids = {}
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        item = tenders.item_by_code(session, code)
        start = utcnow()
        for minute, (phone, lang, name, kg, price) in enumerate(pledgers):
            member = add_member(session, phone, "fisher", cluster, lang, name, place="Kisumu")
            member.reserved_groups = (groups or {}).get(phone)
            session.add(Pledge(item_id=item.id, member_id=member.id, quantity=kg, price=price,
                               pledged_at=start + timedelta(minutes=minute)))
            ids[phone] = member.id
    return ids


def told(factory) -> dict[str, list[str]]:
    with unit_of_work(factory) as session:
        found: dict[str, list[str]] = {}
        for message in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)):
            found.setdefault(message.address, []).append(message.text)
        return found


def audit(factory) -> list[tuple[str, str]]:
    with unit_of_work(factory) as session:
        return [(e.actor, e.action) for e in session.scalars(
            select(AuditEntry).order_by(AuditEntry.id))]


def omena_in(factory, lang: str) -> str:
    with unit_of_work(factory) as session:
        return products.display_name(products.by_slug(session, "omena"), lang)


# --- tender add -----------------------------------------------------------------------------

def test_add_prints_the_tender_and_its_code_alone_on_the_last_line(clusterbot, factory, kisumu):
    result = add(clusterbot, "--max-price", "KES 130/kg", "--deliver-to", "kisumu",
                 "--questions-deadline", in_days(5), "--reserved", "youth; women",
                 "--document", "https://tenders.go.ke/kcrh-041.pdf")

    assert result.exit_code == 0, result.output
    code = result.stdout.splitlines()[-1]
    assert len(code) == 4 and set(code) <= set(CODE_ALPHABET)  # may be digits alone
    assert "buyer: Kisumu County Referral Hospital" in result.stdout
    tender = tender_coded(factory, code)
    assert tender.deadline.astimezone(NAIROBI).strftime("%Y-%m-%d %H:%M") == f"{in_days(10)} 23:59"
    assert tender.questions_deadline < tender.deadline
    assert (tender.delivery_place_name, tender.currency) == ("Kisumu", "KES")
    assert tender.reserved == ["youth", "women"]
    assert tender.documents == ["https://tenders.go.ke/kcrh-041.pdf"]
    [item] = tender.items
    assert (item.quantity, item.unit, item.max_price, item.description) == (2000, "kg", 130,
                                                                          "dagaa")
    with unit_of_work(factory) as session:
        assert item.product_id == products.by_slug(session, "omena").id
    assert audit(factory) == [("cli", "tender.add")]


def test_add_reads_a_product_in_any_language_and_a_quantity_in_its_unit(clusterbot, factory,
                                                                         kisumu):
    result = clusterbot("tender", "add", "--cluster", "kisumu-fish", "--buyer", "Moi Girls",
                        "--title", "Milk for the boarding school", "--product", "maziwa",
                        "--quantity", "1500", "--deadline", f"{in_days(3)} 10:00")

    assert result.exit_code == 0, result.output
    [item] = tender_coded(factory, result.stdout.splitlines()[-1]).items
    assert (item.quantity, item.unit, item.max_price) == (1500, "l", None)


def test_add_reports_every_bad_field_and_saves_nothing(clusterbot, factory, kisumu):
    result = clusterbot("tender", "add", "--cluster", "kisumu-fish", "--buyer", " ",
                        "--title", "Toner", "--product", "printer toner", "--quantity", "3 bags",
                        "--deadline", "2020-01-01", "--max-price", "cheap",
                        "--reserved", "veterans")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "buyer: Give the buyer's name.", "product: This product is not in the catalog.",
        "quantity: Give the quantity with its unit, for example 500kg or 2t.",
        "max-price: Give the highest price per unit, for example 120/kg.",
        "deadline: The deadline has passed.",
        "reserved: Reserved groups are youth, women and disability."]
    assert audit(factory) == []
    wrong_unit = add(clusterbot, "--max-price", "130/l")
    assert wrong_unit.exit_code == 2
    assert wrong_unit.stderr == ("max-price: The quantity's unit does not fit the product: it is "
                                 "sold by kg.\n")


def test_add_to_an_unknown_cluster_fails(clusterbot, factory, kisumu):
    result = clusterbot("tender", "add", "--cluster", "lamu-crafts", "--buyer", "B", "--title",
                        "T", "--product", "omena", "--quantity", "1t", "--deadline", in_days(3))

    assert result.exit_code == 1 and result.stderr == "error: no cluster lamu-crafts\n"


# --- tenders import -------------------------------------------------------------------------

def release_file(tmp_path, deadline_days: int = 14, date: str = "2026-12-01T09:00:00Z") -> Path:
    """The sample release package with a deadline `deadline_days` from now."""
    package = json.loads((DATA / "ocds_release_package.json").read_text(encoding="utf-8"))
    release = package["releases"][0]
    release["date"] = date
    release["tender"]["tenderPeriod"]["endDate"] = f"{in_days(deadline_days)}T10:00:00+03:00"
    release["tender"]["enquiryPeriod"]["endDate"] = f"{in_days(deadline_days - 7)}T17:00:00+03:00"
    file = tmp_path / f"release-{deadline_days}-{date[:10]}.json"
    file.write_text(json.dumps(package), encoding="utf-8")
    return file


def test_import_reports_added_updated_unchanged_and_unmapped_items(clusterbot, factory, kisumu,
                                                                    tmp_path):
    ocid = "ocds-kisumu1-KCG-EDU-2026-041"
    result = clusterbot("tenders", "import", str(release_file(tmp_path)), "--cluster",
                        "kisumu-fish")

    assert result.exit_code == 0, result.output
    first, summary = result.stdout.splitlines()
    code = first.split()[1]
    assert first == f"added {code} {ocid}"
    assert summary == "added 1, updated 0, unchanged 0, skipped 0; items without a product 1"
    assert result.stderr == (f"no product for the item {ocid}: Printer toner cartridges, HP 85A "
                             "(no catalog product)\n")
    again = clusterbot("tenders", "import", str(release_file(tmp_path)), "--cluster",
                       "kisumu-fish")
    assert again.stdout == ("added 0, updated 0, unchanged 1, skipped 0; items without a "
                            "product 0\n")
    later = release_file(tmp_path, deadline_days=21, date="2026-12-03T09:00:00Z")
    updated = clusterbot("tenders", "import", str(later), "--cluster", "kisumu-fish")
    assert updated.stdout.splitlines()[0] == f"updated {code} {ocid}"
    tender = tender_coded(factory, code)
    assert tender.deadline.astimezone(NAIROBI).strftime("%Y-%m-%d") == in_days(21)
    listed = clusterbot("tenders", "list", "--cluster", "kisumu-fish")
    assert listed.stdout.startswith(f"{code}  {in_days(21)} 10:00  active")
    assert "Supply of dried fish" in listed.stdout


def test_import_of_a_file_that_is_not_json_fails(clusterbot, factory, kisumu, tmp_path):
    file = tmp_path / "release.json"
    file.write_text("ocid,title\n", encoding="utf-8")

    result = clusterbot("tenders", "import", str(file), "--cluster", "kisumu-fish")

    assert result.exit_code == 1 and result.stderr.startswith(f"error: {file} is not JSON")


# --- tender show ----------------------------------------------------------------------------

def test_show_lists_pledges_in_order_with_reserves_and_the_weighted_price(clusterbot, factory,
                                                                          kisumu):
    code = add(clusterbot, "--max-price", "128/kg", "--reserved", "youth;women").stdout.split()[-1]
    pledge(factory, code, groups={AMINA: ["women"], JUMA: [], TOMAS: ["youth"]})

    result = clusterbot("tender", "show", code)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{code}  Supply of fresh fish to the hospital kitchen  (active)"
    # Tomas asks more than the highest price: his pledge does not count. The price weighted by
    # what counts, of the pledges with a price: (800 x 125 + 700 x 120) / 1,500
    assert (f"{code} omena: need 2000 kg, covered 1900, short 100, pledged 2500; highest price "
            f"KES 128/kg; weighted price KES 122.67/kg") in lines
    assert "  1. Amina  +254722000001  Kisumu  800 kg  KES 125/kg" in lines
    assert "  3. Grace  +254722000003  Kisumu  400 kg  -" in lines
    assert ("  4. Tomas  +254722000004  Kisumu  600 kg  KES 130/kg  over the highest price, not "
            "counted") in lines
    # of those who count, Amina declared women, Juma none, Grace was never asked
    assert ("reserved for youth, women: the consortium qualifies: no (1 qualify, 1 do not, 1 "
            "never asked)") in lines


def test_show_csv_is_the_bid_sheet_one_row_per_pledge(clusterbot, factory, kisumu):
    code = add(clusterbot, "--quantity", "1500kg").stdout.split()[-1]
    pledge(factory, code)

    result = clusterbot("tender", "show", code, "--csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:5] == ["name", "phone", "place", "quantity", "unit"]
    assert [(r["name"], r["phone"], r["quantity"], r["unit"], r["price"], r["status"],
             r["counted"]) for r in rows] == [
        ("Amina", "+254722000001", "800", "kg", "125", "in", "800"),
        ("Juma", "+254722000002", "700", "kg", "120", "in", "700"),
        ("Grace", "+254722000003", "400", "kg", "", "reserve", "0"),
        ("Tomas", "+254722000004", "600", "kg", "130", "reserve", "0")]
    assert {r["item"] for r in rows} == {code} and {r["place"] for r in rows} == {"Kisumu"}


def test_show_of_an_unknown_code_fails(clusterbot, factory, kisumu):
    result = clusterbot("tender", "show", "ZZZZ")

    assert result.exit_code == 1 and result.stderr == "error: no tender ZZZZ\n"


# --- tender outcome -------------------------------------------------------------------------

def test_a_won_quantity_is_shared_in_pledge_order_and_every_pledger_told(clusterbot, factory,
                                                                         kisumu):
    code = add(clusterbot).stdout.split()[-1]
    ids = pledge(factory, code)

    result = clusterbot("tender", "outcome", code, "won", "--quantity", "1.6t")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{code} won; 4 members told", "Amina: 800 kg",
                                          "Juma: 700 kg", "Grace: 100 kg"]
    tender = tender_coded(factory, code)
    assert (tender.outcome, tender.won_quantity) == ("won", 1600)
    assert tender.closed_at is not None and tender.outcome_at is not None
    assert [p.delivery_share for p in tender.items[0].pledges] == [800, 700, 100, 0]
    title = shorten(tender.title, entry.SHORT_TITLE)
    messages = told(factory)

    def expected(phone, lang, msgid, **values):
        return [translate(lang, msgid, code=code, title=title, **values)]

    amina = f"800kg {omena_in(factory, 'en')}"
    assert messages[AMINA] == expected(AMINA, "en", outcome.WON_LEAD, share=amina)
    assert messages[JUMA] == expected(JUMA, "sw", outcome.WON, lead="Amina",
                                      share=f"700kg {omena_in(factory, 'sw')}")
    assert messages[GRACE] == expected(GRACE, "fr", outcome.WON, lead="Amina",
                                       share=f"100kg {omena_in(factory, 'fr')}")
    assert messages[TOMAS] == expected(TOMAS, "pt", outcome.WON_NOT_NEEDED, won="1.600kg",
                                       pledged=f"600kg {omena_in(factory, 'pt')}")
    assert ("cli", "tender.outcome") in audit(factory)
    assert len(ids) == 4
    again = clusterbot("tender", "outcome", code, "lost")
    assert again.exit_code == 1
    assert again.stderr == "error: The outcome of this tender is already recorded\n"


def test_the_lead_a_coordinator_chose_is_named_to_the_others(clusterbot, factory, kisumu):
    code = add(clusterbot).stdout.split()[-1]
    ids = pledge(factory, code)
    with unit_of_work(factory) as session:
        tenders.by_code(session, code).lead_member_id = ids[JUMA]

    clusterbot("tender", "outcome", code, "won")

    messages = told(factory)
    assert "Juma" in messages[AMINA][0]
    assert messages[JUMA][0].startswith(translate("sw", outcome.WON_LEAD).split("{code}")[0])


def test_a_lost_tender_thanks_every_pledger_in_their_language(clusterbot, factory, kisumu):
    code = add(clusterbot).stdout.split()[-1]
    pledge(factory, code)

    result = clusterbot("tender", "outcome", code, "lost")

    assert result.stdout == f"{code} lost; 4 members told\n"
    tender = tender_coded(factory, code)
    assert tender.outcome == "lost" and tender.won_quantity is None
    assert {p.delivery_share for p in tender.items[0].pledges} == {None}
    title = shorten(tender.title, entry.SHORT_TITLE)
    messages = told(factory)
    for phone, lang, _, kg, _ in PLEDGERS:
        assert messages[phone] == [translate(lang, outcome.LOST, code=code, title=title,
                                             pledged=f"{kg}kg {omena_in(factory, lang)}")]


def test_an_opted_out_pledger_is_not_told(clusterbot, factory, kisumu):
    code = add(clusterbot).stdout.split()[-1]
    pledge(factory, code)
    with unit_of_work(factory) as session:
        session.scalar(select(Member).where(Member.phone == JUMA)).opted_out = True

    result = clusterbot("tender", "outcome", code, "lost")

    assert result.stdout == f"{code} lost; 3 members told\n"
    assert JUMA not in told(factory)


@pytest.mark.parametrize("args, reason", [
    (["won", "--quantity", "3t"], "error: The quantity won must be more than 0 and at most the "
                                  "tender's quantity\n"),
    (["won", "--quantity", "30l"], "error: --quantity 30l is not a quantity in kg\n"),
    (["lost", "--quantity", "1t"], "error: --quantity is for a won tender\n"),
    (["maybe"], "error: the outcome is won or lost, not maybe\n"),
])
def test_a_bad_outcome_is_refused_and_nothing_changes(clusterbot, factory, kisumu, args, reason):
    code = add(clusterbot).stdout.split()[-1]
    pledge(factory, code)

    result = clusterbot("tender", "outcome", code, *args)

    assert result.exit_code in (1, 2) and result.stderr == reason
    assert tender_coded(factory, code).outcome is None and told(factory) == {}


def test_pledge_order_is_kept_when_times_are_equal(factory, kisumu):
    """Two pledges of the same moment: the first saved is first in."""
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        tender = entry.add(session, cluster, "cli", {
            "buyer": "B", "title": "T", "product": "omena", "quantity": "1000",
            "deadline": in_days(5)})
        moment = datetime(2026, 12, 4, tzinfo=timezone.utc)
        for phone, kg in ((AMINA, 600), (JUMA, 600)):
            member = add_member(session, phone, "fisher", cluster, "en")
            session.add(Pledge(item_id=tender.items[0].id, member_id=member.id, quantity=kg,
                               pledged_at=moment))
        session.flush()
        session.expire(tender.items[0], ["pledges"])
        taken, reserves = tenders.in_and_reserves(tender.items[0])
        assert [p.quantity for p in taken] == [600, 600] and reserves == []


def test_a_tender_of_several_items_is_pledged_shown_and_won_item_by_item(clusterbot, factory,
                                                                         kisumu, tmp_path):
    package = json.loads(release_file(tmp_path).read_text(encoding="utf-8"))
    eggs = package["releases"][0]["tender"]["items"][1]
    eggs.update(description="Eggs, grade A", quantity=3000)
    file = tmp_path / "two-items.json"
    file.write_text(json.dumps(package), encoding="utf-8")
    code = clusterbot("tenders", "import", str(file), "--cluster",
                      "kisumu-fish").stdout.split()[1]
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        omena, eggs_item = tenders.pledgeable(tenders.by_code(session, code))
        assert tenders.item_by_code(session, code) is None  # which item? the code does not say
        assert tenders.item_by_code(session, f"{code.lower()}-2").id == eggs_item.id
        amina = add_member(session, AMINA, "fisher", cluster, "en", "Amina")
        juma = add_member(session, JUMA, "fisher", cluster, "sw", "Juma")
        start = utcnow()
        session.add_all([
            Pledge(item_id=omena.id, member_id=amina.id, quantity=2000, pledged_at=start),
            Pledge(item_id=eggs_item.id, member_id=amina.id, quantity=1000, pledged_at=start),
            Pledge(item_id=eggs_item.id, member_id=juma.id, quantity=2500,
                   pledged_at=start + timedelta(minutes=1))])

    rows = list(csv.DictReader(io.StringIO(clusterbot("tender", "show", code, "--csv").stdout)))

    assert [(r["item"], r["name"], r["quantity"], r["unit"], r["counted"]) for r in rows] == [
        (f"{code}-1", "Amina", "2000", "kg", "2000"), (f"{code}-2", "Amina", "1000", "piece",
                                                         "1000"),
        (f"{code}-2", "Juma", "2500", "piece", "2000")]
    refused = clusterbot("tender", "outcome", code, "won", "--quantity", "1000")
    assert refused.exit_code == 2
    assert refused.stderr == "error: --quantity is only for a tender of one item\n"
    won = clusterbot("tender", "outcome", code, "won")
    assert won.stdout.splitlines() == [f"{code} won; 2 members told", "Amina: 2000 kg",
                                       "Amina: 1000 piece", "Juma: 2000 piece"]
    messages = told(factory)
    # Amina fills all the omena and a third of the eggs: she leads
    assert messages[AMINA][0].startswith("Good news: tender")
    assert "You lead the consortium" in messages[AMINA][0]
    assert messages[JUMA][0].startswith("Habari njema") and "Amina" in messages[JUMA][0]


def test_a_reserved_tender_qualifies_when_everyone_counted_declared_a_group(clusterbot, factory,
                                                                            kisumu):
    code = add(clusterbot, "--quantity", "1500kg", "--reserved", "women").stdout.split()[-1]
    pledge(factory, code, groups={AMINA: ["women", "youth"], JUMA: ["women"], GRACE: None})

    lines = clusterbot("tender", "show", code).stdout.splitlines()

    # Grace and Tomas are reserves: what they declared does not matter for the bid
    assert ("reserved for women: the consortium qualifies: yes (2 qualify, 0 do not, 0 never "
            "asked)") in lines
    assert "  3. Grace  +254722000003  Kisumu  400 kg  -  reserve" in lines


def test_a_delivery_address_is_kept_as_written_with_the_known_place_it_names(clusterbot,
                                                                             factory, kisumu):
    at_stores = add(clusterbot, "--deliver-to", "Referral Hospital stores, Kisumu")
    nowhere = add(clusterbot, "--deliver-to", "Hospital stores")

    assert at_stores.exit_code == 0, at_stores.output
    assert "deliver to: Referral Hospital stores, Kisumu\n" in at_stores.stdout
    tender = tender_coded(factory, at_stores.stdout.split()[-1])
    with unit_of_work(factory) as session:
        place = session.get(Place, tender.delivery_place_id)
        assert place.name == "Kisumu"
    assert "deliver to: Hospital stores (not a known place)" in nowhere.stdout
    assert tender_coded(factory, nowhere.stdout.split()[-1]).delivery_place_id is None


def test_a_partly_won_tender_is_led_by_one_who_delivers(clusterbot, factory, kisumu):
    code = add(clusterbot, "--quantity", "1500kg").stdout.split()[-1]
    # Juma's 1,100 kg is the largest part of the consortium, but came after Amina's 400
    pledge(factory, code, pledgers=((AMINA, "en", "Amina", 400, None),
                                    (JUMA, "sw", "Juma", 1100, None)))

    result = clusterbot("tender", "outcome", code, "won", "--quantity", "300kg")

    assert result.stdout.splitlines()[1:] == ["Amina: 300 kg"]
    messages = told(factory)
    assert "You lead the consortium" in messages[AMINA][0]
    assert messages[JUMA][0].startswith("Tumeshinda zabuni")  # not needed this time
