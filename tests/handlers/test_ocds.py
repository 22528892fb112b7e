"""Tenders from open contracting data (OCDS release and record packages): what each release
gives, items matched to catalog products or reported, a release read twice, a newer release
that changes the tender and tells the members who pledged, in their language."""
import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member
from sqlalchemy import select

from handlers.labels import shorten
from handlers.tenders import entry, ocds
from locales.i18n import translate
from storage import clusters, products, tenders
from storage.db import unit_of_work
from storage.models import AuditEntry, OutboundMessage
from storage.tenders import Pledge

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
OCID = "ocds-kisumu1-KCG-EDU-2026-041"
PLEDGERS = ((AMINA, "en", "Amina", 500), (JUMA, "sw", "Juma", 700), (GRACE, "fr", "Grace", 400),
            (TOMAS, "pt", "Tomas", 600))


def package() -> dict:
    return json.loads((DATA / "ocds_release_package.json").read_text(encoding="utf-8"))


def newer(original: dict, date: str = "2026-12-06T09:00:00Z", **tender) -> dict:
    """The package with its release dated `date` and the tender's fields replaced."""
    changed = copy.deepcopy(original)
    release = changed["releases"][0]
    release["date"] = date
    release["tender"].update(tender)
    return changed


def run(factory, given: dict, now: datetime = NOW) -> ocds.Report:
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        return ocds.import_package(session, cluster, "cli", given, now)


def tender_of(factory, ocid: str = OCID):
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        tender = tenders.by_ocid(session, cluster.id, ocid)
        if tender is not None:
            tender.items  # loaded while the session is open
        return tender


def pledge_all(factory, pledgers=PLEDGERS) -> None:
    """Each (phone, language, name, kg) pledges on the omena item, a minute apart, in order."""
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        item = tenders.pledgeable(tenders.by_ocid(session, cluster.id, OCID))[0]
        for minute, (phone, lang, name, kg) in enumerate(pledgers):
            member = add_member(session, phone, "fisher", cluster, lang, name)
            session.add(Pledge(item_id=item.id, member_id=member.id, quantity=kg,
                               pledged_at=NOW + timedelta(minutes=minute)))


def messages(factory) -> dict[str, list[str]]:
    """address -> the texts queued to it, in order."""
    with unit_of_work(factory) as session:
        found: dict[str, list[str]] = {}
        for message in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)):
            found.setdefault(message.address, []).append(message.text)
        return found


def actions(factory) -> list[str]:
    with unit_of_work(factory) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_release_gives_the_tender_its_items_mapped_or_reported(factory, kisumu):
    report = run(factory, package())

    assert (report.added, report.updated, report.unchanged, report.skipped) == ([OCID], [], [], [])
    assert report.unmapped == [f"{OCID}: Printer toner cartridges, HP 85A (no catalog product)"]
    tender = tender_of(factory)
    assert report.codes == {OCID: tender.code}
    assert tender.buyer == "County Government of Kisumu, Department of Education"
    assert tender.title == "Supply of dried fish and office supplies for ECDE school feeding"
    assert tender.status == "active"
    assert tender.deadline == datetime(2026, 12, 18, 7, 0, tzinfo=timezone.utc)
    assert tender.questions_deadline == datetime(2026, 12, 11, 14, 0, tzinfo=timezone.utc)
    assert tender.release_date == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    assert (tender.value_amount, tender.currency) == (290000, "KES")
    assert tender.delivery_place_name == "Kisumu" and tender.delivery_place_id is not None
    assert tender.delivery_schedule == "2027-01-05 to 2027-03-31"
    assert tender.documents == ["https://tenders.go.ke/documents/KCG-EDU-T-041-2026-2027.pdf"]
    omena, toner = tender.items
    with unit_of_work(factory) as session:
        assert omena.product_id == products.by_slug(session, "omena").id
    # 2 tonnes at KES 130,000 a tonne: kilograms, and the price per kilogram
    assert (omena.position, omena.quantity, omena.unit, omena.max_price) == (1, 2000, "kg", 130)
    assert (toner.product_id, toner.quantity, toner.unit) == (None, 12, "piece")
    assert toner.description == "Printer toner cartridges, HP 85A"
    with unit_of_work(factory) as session:
        item = tenders.item_by_code(session, tender.code.lower())
        assert item.id == omena.id  # the one pledgeable item goes by the tender's code alone
        assert tenders.item_by_code(session, f"{tender.code}-2") is None  # never pledged
    assert actions(factory) == ["tender.add", "tenders.import"]


def test_the_same_release_again_changes_nothing(factory, kisumu):
    run(factory, package())
    pledge_all(factory)
    before = tender_of(factory)

    report = run(factory, package())

    assert (report.added, report.updated, report.unchanged) == ([], [], [OCID])
    assert report.unmapped == []  # reported when the release was read
    after = tender_of(factory)
    assert after.updated_at == before.updated_at and after.code == before.code
    assert messages(factory) == {}
    assert actions(factory) == ["tender.add", "tenders.import", "tenders.import"]


@pytest.mark.parametrize("phone, lang, name, kg", PLEDGERS)
def test_a_newer_release_updates_the_tender_and_tells_each_pledger(factory, kisumu, phone, lang,
                                                                   name, kg):
    original = package()
    run(factory, original)
    pledge_all(factory)
    changed = newer(original, tenderPeriod={"endDate": "2026-12-22T10:00:00+03:00"})
    changed["releases"][0]["tender"]["items"][0]["quantity"] = 3

    report = run(factory, changed)

    assert report.updated == [OCID]
    tender = tender_of(factory)
    assert tender.deadline == datetime(2026, 12, 22, 7, 0, tzinfo=timezone.utc)
    assert [item.quantity for item in tender.items] == [3000, 12]
    assert tender.release_date == datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
    with unit_of_work(factory) as session:
        omena = tenders.pledgeable(tenders.by_ocid(session, tender.cluster_id, OCID))[0]
        assert [p.quantity for p in omena.pledges] == [500, 700, 400, 600]  # pledges kept
    told = messages(factory)
    assert set(told) == {p[0] for p in PLEDGERS}
    [text] = told[phone]
    assert text.startswith(translate(lang, entry.CHANGED).split("{code}")[0] + tender.code)
    changes = f"{translate(lang, 'deadline')}, {translate(lang, 'quantity')}"
    assert f"({changes})" in text
    assert "22/12 10:00" in text  # the new deadline, in Nairobi time
    assert f"{kg}kg" in text
    assert "tender.update" in actions(factory)


def test_an_older_release_after_a_newer_one_changes_nothing(factory, kisumu):
    original = package()
    run(factory, newer(original, title="Supply of dried omena for ECDE school feeding"))

    report = run(factory, newer(original, date="2026-12-02T09:00:00Z", title="Old title"))

    assert report.unchanged == [OCID]
    assert tender_of(factory).title == "Supply of dried omena for ECDE school feeding"


def test_a_newer_release_with_the_same_tender_is_unchanged_but_remembered(factory, kisumu):
    original = package()
    run(factory, original)
    pledge_all(factory)

    report = run(factory, newer(original))

    assert (report.updated, report.unchanged) == ([], [OCID])
    assert tender_of(factory).release_date == datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
    assert messages(factory) == {}


@pytest.mark.parametrize("status", ["cancelled", "withdrawn"])
def test_a_cancelled_tender_releases_each_pledge_and_closes(factory, kisumu, status):
    original = package()
    run(factory, original)
    pledge_all(factory)

    report = run(factory, newer(original, status=status))

    assert report.updated == [OCID]
    tender = tender_of(factory)
    assert tender.status == "cancelled" and tender.closed_at is not None
    told = messages(factory)
    for phone, lang, _, kg in PLEDGERS:
        assert told[phone] == [translate(lang, entry.CANCELLED, code=tender.code,
                                         title=shorten(tender.title, entry.SHORT_TITLE),
                                         pledged=f"{kg}kg {omena_in(factory, lang)}")]


def omena_in(factory, lang: str) -> str:
    with unit_of_work(factory) as session:
        return products.display_name(products.by_slug(session, "omena"), lang)


def test_a_record_package_gives_its_compiled_release_and_the_buyer_party(factory, kisumu):
    release = package()["releases"][0]
    del release["buyer"]
    release["tender"]["items"] = [
        {"id": "1", "description": "Maziwa mabichi", "quantity": 1500,
         "unit": {"name": "litres"}},
        {"id": "2", "description": "Fresh milk in bags", "quantity": 40,
         "unit": {"scheme": "UNCEFACT", "id": "BG", "name": "bag"}},
        {"id": "3", "description": "Tilapia fillets", "quantity": 200,
         "unit": {"scheme": "UNCEFACT", "id": "H87", "name": "piece"}}]
    release["tender"]["deliveryAddresses"] = []
    records = {"version": "1.1", "records": [
        {"ocid": "ocds-kisumu1-milk", "releases": [
            {"url": "https://tenders.kisumu.go.ke/ocds/r1.json", "date": "2026-12-01T09:00:00Z",
             "tag": ["tender"]}],
         "compiledRelease": {**release, "ocid": "ocds-kisumu1-milk"}},
        {"ocid": "ocds-kisumu1-linked-only", "releases": [
            {"url": "https://tenders.kisumu.go.ke/ocds/r2.json", "date": "2026-12-01T09:00:00Z",
             "tag": ["planning"]}]}]}

    report = run(factory, records)

    assert report.added == ["ocds-kisumu1-milk"]
    assert report.unmapped == [
        "ocds-kisumu1-milk: Fresh milk in bags (unknown unit 'BG')",
        "ocds-kisumu1-milk: Tilapia fillets (the product is sold by kg, not piece)"]
    tender = tender_of(factory, "ocds-kisumu1-milk")
    assert tender.buyer == "County Government of Kisumu, Department of Education"  # the party
    assert tender.delivery_place_name == "Kisumu"  # the buyer's address
    milk, bags, fillets = tender.items
    assert (milk.quantity, milk.unit, milk.product_id is not None) == (1500, "l", True)
    assert (bags.product_id, bags.unit, fillets.product_id) == (None, "BG", None)


def test_releases_without_a_deadline_or_past_it_are_skipped(factory, kisumu):
    original = package()
    late = copy.deepcopy(original["releases"][0])
    late["ocid"] = "ocds-kisumu1-late"
    late["tender"]["tenderPeriod"] = {"endDate": "2026-11-30T10:00:00+03:00"}
    undated = copy.deepcopy(original["releases"][0])
    undated["ocid"] = "ocds-kisumu1-undated"
    del undated["tender"]["tenderPeriod"]
    original["releases"] += [late, undated]

    report = run(factory, original)

    assert report.added == [OCID]
    assert report.skipped == ["ocds-kisumu1-late: its deadline has passed",
                              "ocds-kisumu1-undated: no tenderPeriod.endDate (the deadline)"]


def test_the_newest_release_of_an_ocid_in_one_package_is_read(factory, kisumu):
    original = package()
    later = newer(original, title="Supply of dried omena")["releases"][0]
    original["releases"] = [later, original["releases"][0]]

    report = run(factory, original)

    assert report.added == [OCID]
    assert tender_of(factory).title == "Supply of dried omena"


@pytest.mark.parametrize("given", [[], {"version": "1.1"}, {"releases": "none"}])
def test_a_file_that_is_no_package_is_refused(factory, kisumu, given):
    with pytest.raises(ocds.ReleaseError):
        run(factory, given)


def test_a_lower_price_and_a_removed_item_are_named_to_the_pledgers(factory, kisumu):
    original = package()
    run(factory, original)
    pledge_all(factory, PLEDGERS[:2])
    changed = newer(original)
    items = changed["releases"][0]["tender"]["items"]
    items[0]["unit"]["value"]["amount"] = 120000  # KES 120 a kilogram now
    del items[1]

    report = run(factory, changed)

    assert report.updated == [OCID] and report.unmapped == []
    tender = tender_of(factory)
    assert [(i.description, i.max_price) for i in tender.items] == [("Dried omena (dagaa)", 120)]
    told = messages(factory)
    for phone, lang in ((AMINA, "en"), (JUMA, "sw")):
        changes = f"{translate(lang, 'items')}, {translate(lang, 'highest price')}"
        assert f"({changes})" in told[phone][0]
