"""Support institutions of the directory: each field read and checked (handlers.institutions),
saved by name, and imported from CSV with the bad rows reported by line."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.commands.directory import import_institutions
from bot.spreadsheet import FileError
from handlers import institutions
from storage import clusters
from storage.db import unit_of_work
from storage.directory import Institution, institutions_of
from storage.models import AuditEntry, utcnow

HEADER = "name,category,services,place,phone,website,languages,verified\n"
ICE = "Kisumu Ice Plant,cold storage;ice,ice blocks;cold room,KISUMU,0722111222,,en;sw,yes\n"
LOANS = "Lake Microfinance,Banks,boat loans; savings,Dunga Beach,,www.lakemf.co.ke,sw,no\n"


def load(factory, text: str):
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        return import_institutions(session, cluster, io.StringIO(text), "cli",
                                   file_name="institutions.csv")


def stored(factory) -> dict[str, Institution]:
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        return {i.name: i for i in institutions_of(session, cluster.id)}


def actions(factory) -> list[tuple[str, str, dict]]:
    with unit_of_work(factory) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.actor, e.action, e.details) for e in entries]


def save(factory, fields: dict[str, str], actor="web:grace@example.org", name=None) -> str:
    with unit_of_work(factory) as session:
        cluster = clusters.by_slug(session, "kisumu-fish")
        known = institutions_of(session, cluster.id)
        editing = next((i for i in known if i.name == name), None) if name else None
        return institutions.save(session, cluster, actor, fields, editing)


def fields(**given: str) -> dict[str, str]:
    return {"name": "Kisumu Ice Plant", "category": "cold_storage", "phone": "0722111222",
            **given}


def test_import_loads_good_rows_and_reports_bad_ones_by_line(factory, kisumu):
    report = load(factory, HEADER + ICE + "Bad One,magic,,,abc,javascript:alert(1),de,maybe\n"
                           "\n" + LOANS + ",training,,,0722000000,,,\n"
                           "Too Few,training\n" + "kisumu ice plant,ice,,,0722111223,,,\n")

    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 6, 7, 8]
    assert reasons[3] == (
        "category 'magic': Categories are training, finance, extension, transport, cold storage, "
        "inputs, standards and research; phone 'abc': This is not a phone number of the "
        "cluster's country; write it with its country code (+...); website "
        "'javascript:alert(1)': The website must be an address starting with http:// or "
        "https://; languages 'de': Languages are en, sw, fr and pt; verified 'maybe': Verified "
        "is yes or no")
    assert reasons[6] == "name: Give the institution's name"
    assert reasons[7] == "expected 8 fields, found 2"
    assert reasons[8] == "the name kisumu ice plant is already on line 2"
    ice, loans = stored(factory)["Kisumu Ice Plant"], stored(factory)["Lake Microfinance"]
    assert (ice.categories, ice.services, ice.place_name, ice.place.name) == (
        ["cold_storage"], ["ice blocks", "cold room"], "Kisumu", "Kisumu")
    assert (ice.phone, ice.website, ice.languages, ice.verified) == (
        "+254722111222", None, ["en", "sw"], True)
    assert utcnow() - ice.checked_at < timedelta(minutes=5)
    assert (loans.categories, loans.services, loans.place_name, loans.place_id) == (
        ["finance"], ["boat loans", "savings"], "Dunga Beach", None)
    assert (loans.phone, loans.website, loans.verified, loans.checked_at) == (
        None, "https://www.lakemf.co.ke", False, None)


def test_import_again_finds_rows_unchanged_and_updates_changed_ones(factory, kisumu):
    load(factory, HEADER + ICE + LOANS)

    report = load(factory, HEADER + ICE + LOANS.replace("boat loans; savings", "boat loans"))

    assert (report.added, report.updated, report.unchanged, report.errors) == (0, 1, 1, [])
    assert stored(factory)["Lake Microfinance"].services == ["boat loans"]
    assert [(a, action) for a, action, _ in actions(factory)] == [
        ("cli", "institution.add"), ("cli", "institution.add"), ("cli", "institutions.import"),
        ("cli", "institution.edit"), ("cli", "institution.edit"), ("cli", "institutions.import")]
    ice_check, loans_edit, summary = [details for _, _, details in actions(factory)[3:]]
    assert (ice_check["changed"], ice_check["checked"]) == ([], True)  # verified: a check
    assert (loans_edit["changed"], loans_edit["checked"]) == (["services"], False)
    assert summary == {"file": "institutions.csv", "added": 0, "updated": 1, "unchanged": 1,
                       "skipped": 0}


def test_import_fails_when_header_is_wrong(factory, kisumu):
    with pytest.raises(FileError, match="the header must be name,category,services"):
        load(factory, "name,category,phone\nKisumu Ice Plant,ice,0722111222\n")
    assert stored(factory) == {}


@pytest.mark.parametrize("written, slugs", [
    ("Cold Storage; ICE", ["cold_storage"]),
    ("microfinance;banks", ["finance"]),
    ("research; Training", ["training", "research"]),
    ("cold storag", ["cold_storage"]),  # a typo
    ("extension officers;input suppliers;standards body;transporters",
     ["extension", "transport", "inputs", "standards"]),
])
def test_categories_are_read_from_slugs_or_readable_words(factory, kisumu, written, slugs):
    assert save(factory, fields(category=written)) == "added"

    assert stored(factory)["Kisumu Ice Plant"].categories == slugs


@pytest.mark.parametrize("given, field, problem", [
    ({"name": " "}, "name", institutions.NAME_MISSING),
    ({"name": "x" * 201}, "name", institutions.NAME_LONG),
    ({"category": ""}, "category", institutions.CATEGORY_MISSING),
    ({"category": "ice;astrology"}, "category", institutions.CATEGORY_UNKNOWN),
    ({"services": ";".join(f"s{n}" for n in range(21))}, "services",
     institutions.SERVICES_LONG),
    ({"phone": "12"}, "phone", institutions.PHONE_BAD),
    ({"phone": "", "website": ""}, "phone", institutions.CONTACT_MISSING),
    ({"website": "ftp://files.example.org"}, "website", institutions.WEBSITE_BAD),
    ({"website": "https://localhost"}, "website", institutions.WEBSITE_BAD),
    ({"languages": "en;xh"}, "languages", institutions.LANGUAGES_UNKNOWN),
    ({"verified": "perhaps"}, "verified", institutions.VERIFIED_BAD),
])
def test_a_bad_field_is_refused_with_its_problem_and_nothing_is_saved(factory, kisumu, given,
                                                                      field, problem):
    with pytest.raises(institutions.InstitutionError) as refused:
        save(factory, fields(**given))

    assert refused.value.problems == {field: problem}
    assert stored(factory) == {} and actions(factory) == []


def test_every_bad_field_is_reported_at_once(factory, kisumu):
    with pytest.raises(institutions.InstitutionError) as refused:
        save(factory, {"name": "", "category": "ice", "place": "p" * 201})

    assert refused.value.problems == {"name": institutions.NAME_MISSING,
                                      "place": institutions.PLACE_LONG,
                                      "phone": institutions.CONTACT_MISSING}


def test_problems_are_translated_for_the_dashboard(factory, kisumu):
    with pytest.raises(institutions.InstitutionError) as refused:
        save(factory, fields(name="", website="mailto:x@y.org"))

    assert refused.value.messages("sw") == {
        "name": "Andika jina la taasisi.",
        "website": "Tovuti lazima iwe anwani inayoanza na http:// au https://."}
    assert refused.value.messages("fr")["name"] == "Indiquez le nom de l'institution."


def test_phone_is_read_in_the_clusters_country_unless_it_gives_its_code(factory, kisumu):
    save(factory, fields(phone="0722 111 222"))
    save(factory, fields(name="Beira Cold Store", phone="+258 84 123 4567"))

    assert [i.phone for i in stored(factory).values()] == ["+258841234567", "+254722111222"]


def test_an_edit_saves_every_field_and_audits_what_changed(factory, kisumu):
    save(factory, fields(services="ice blocks", website="https://ice.example.org"))

    outcome = save(factory, fields(name="Kisumu Ice & Cold", services="", website="",
                                   verified="true"), actor="web:grace@example.org",
                   name="Kisumu Ice Plant")

    assert outcome == "updated"
    [edited] = stored(factory).values()
    assert (edited.name, edited.folded_name, edited.services, edited.website) == (
        "Kisumu Ice & Cold", "kisumu ice & cold", [], None)
    assert edited.verified and edited.checked_at is not None
    actor, action, details = actions(factory)[-1]
    assert (actor, action) == ("web:grace@example.org", "institution.edit")
    assert details["changed"] == ["name", "services", "website", "verified"]


def test_an_edit_cannot_take_another_institutions_name(factory, kisumu):
    save(factory, fields())
    save(factory, fields(name="Lake Microfinance", category="finance"))

    with pytest.raises(institutions.InstitutionError) as refused:
        save(factory, fields(name="KISUMU ICE PLANT", category="finance"),
             name="Lake Microfinance")

    assert refused.value.problems == {"name": institutions.NAME_TAKEN}
    assert sorted(stored(factory)) == ["Kisumu Ice Plant", "Lake Microfinance"]


def test_an_unverified_save_keeps_the_last_check(factory, kisumu):
    save(factory, fields(verified="yes"))
    checked = stored(factory)["Kisumu Ice Plant"].checked_at

    assert save(factory, fields(verified="no"), name="Kisumu Ice Plant") == "updated"

    institution = stored(factory)["Kisumu Ice Plant"]
    assert (institution.verified, institution.checked_at) == (False, checked)
