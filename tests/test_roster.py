"""Members CSV: import row by row with bad rows reported by line, export, and the round trip."""
import csv
import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scenes import AMINA, GRACE, JUMA, TOMAS

from bot import roster
from storage import clusters, members, products
from storage.db import unit_of_work
from storage.models import Base
from storage.seed import seed

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent
HEADER = "phone,telegram_id,name,roles,clusters,language,location,products,opted_out\n"


@pytest.fixture
def mombasa(factory):
    """A craft network on the coast, next to Kisumu's fishers."""
    with unit_of_work(factory) as session:
        return clusters.add(session, slug="mombasa-crafts", name="Mombasa Crafts", currency="KES",
                            country="KE", languages=["sw", "en"], timezone="Africa/Nairobi")


def load(factory, text: str) -> roster.ImportReport:
    with unit_of_work(factory) as session:
        return roster.import_members(session, io.StringIO(text), "cli", region="KE",
                                     file_name="members.csv")


def load_file(factory, name: str) -> roster.ImportReport:
    return load(factory, (DATA / name).read_text(encoding="utf-8"))


def export(factory) -> str:
    buffer = io.StringIO()
    with unit_of_work(factory) as session:
        roster.export_members(session, buffer)
    return buffer.getvalue()


def member(factory, phone: str | None = None, telegram_id: int | None = None):
    """The member, with their memberships, products and place read (for after the session)."""
    with unit_of_work(factory) as session:
        found = members.find(session, phone=phone, telegram_id=telegram_id)
        if found:
            [(m.cluster, p.product) for m in found.memberships for p in found.products]
        return found


def roles_of(found) -> set[tuple[str, str]]:
    return {(m.cluster.slug, m.role) for m in found.memberships}


def make_coordinator(factory, phone: str, *slugs: str) -> None:
    """Grants the role as `clusterbot coordinator add` does: the only way to it."""
    with unit_of_work(factory) as session:
        found = members.get_or_create(session, phone=phone)
        for slug in slugs:
            members.add_role(session, found, clusters.by_slug(session, slug).id, "coordinator")


def test_import_reports_bad_rows_by_line_and_loads_the_rest(factory, kisumu):
    report = load_file(factory, "members_mixed.csv")

    assert [line for line, _ in report.errors] == [3, 4, 6, 7, 8, 12]  # 9-10 is one row
    reasons = dict(report.errors)
    assert "phone" in reasons[3]
    assert "unknown role: sailor" in reasons[4]
    assert "unknown cluster: nowhere" in reasons[6]
    assert "unknown language: de" in reasons[7]
    assert "needs a phone or a telegram_id" in reasons[8]
    assert "opted_out must be true or false" in reasons[12]
    assert (report.added, report.updated, report.skipped) == (3, 0, 6)
    assert member(factory, phone=AMINA).name == "Amina"
    assert member(factory, telegram_id=5551234).name == "Tomás Silva"
    assert member(factory, phone=GRACE) is None


def test_import_reads_local_number_in_default_region(factory, kisumu):
    load(factory, HEADER + "0722000002,,Juma,fisher,kisumu-fish,,,,\n")

    juma = member(factory, phone=JUMA)
    assert juma.phone == "+254722000002"
    assert roles_of(juma) == {("kisumu-fish", "fisher")}


def test_import_marks_named_member_registered_in_chosen_language(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,fish_processor,kisumu-fish,sw,,,\n"
                           f"{JUMA},,,fisher,kisumu-fish,,,,\n")

    amina, juma = member(factory, phone=AMINA), member(factory, phone=JUMA)
    assert (amina.registered, amina.language, amina.language_chosen) == (True, "sw", True)
    assert (juma.registered, juma.language, juma.language_chosen) == (False, None, False)


def test_import_matches_known_place_ignoring_case_and_accents(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,fish_processor,kisumu-fish,,KÍSUMU,,\n"
                           f"{JUMA},,Juma,fisher,kisumu-fish,,Dunga Beach,,\n")

    amina, juma = member(factory, phone=AMINA), member(factory, phone=JUMA)
    assert (amina.place_name, amina.place.name) == ("Kisumu", "Kisumu")
    assert (juma.place_name, juma.place_id) == ("Dunga Beach", None)


def test_import_knows_a_place_by_the_other_names_traders_write(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,fish_processor,kisumu-fish,,Ksm,,\n"
                           f"{JUMA},,Juma,fisher,kisumu-fish,,Homabay,,\n")

    amina, juma = member(factory, phone=AMINA), member(factory, phone=JUMA)
    assert (amina.place_name, amina.place.name) == ("Kisumu", "Kisumu")
    assert (juma.place_name, juma.place.name) == ("Homa Bay", "Homa Bay")


def test_import_reads_products_in_any_language_and_keeps_unknown_as_typed(factory, kisumu):
    load(factory, HEADER + f"{JUMA},,Juma,fisher,kisumu-fish,,,sato;dagaa;boat repair,\n")

    juma = member(factory, phone=JUMA)
    assert [(p.product.slug if p.product else None, p.raw_name) for p in juma.products] == [
        ("tilapia", "sato"), ("omena", "dagaa"), (None, "boat repair")]


def test_import_applies_roles_in_each_listed_cluster(factory, kisumu, mombasa):
    make_coordinator(factory, GRACE, "kisumu-fish", "mombasa-crafts")

    load(factory, HEADER + f"{GRACE},,Grace,fisher;coordinator,kisumu-fish;mombasa-crafts,,,,\n")

    assert roles_of(member(factory, phone=GRACE)) == {
        ("kisumu-fish", "fisher"), ("kisumu-fish", "coordinator"),
        ("mombasa-crafts", "fisher"), ("mombasa-crafts", "coordinator")}


def test_import_updates_member_when_phone_is_known(factory, kisumu, chat):
    juma = chat(JUMA)
    for text in ["LANG sw", "JOIN", "Juma", "1", "Kisumu", "tilapia", "1"]:
        juma.send(text)

    report = load(factory, HEADER + "0722000002,77,Juma Otieno,trader,kisumu-fish,en,,maize,\n")

    assert (report.added, report.updated) == (0, 1)
    found = member(factory, phone=JUMA)
    assert (found.name, found.telegram_id, found.language) == ("Juma Otieno", 77, "en")
    assert roles_of(found) == {("kisumu-fish", "trader")}
    assert [p.product.slug for p in found.products] == ["maize"]
    assert found.place_name == "Kisumu"  # an empty cell keeps what the member said


def test_import_keeps_opt_out_when_row_says_false(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,,,,,,yes\n")
    load(factory, HEADER + f"{AMINA},,Amina,,,,,,false\n")

    assert member(factory, phone=AMINA).opted_out is True


def test_import_keeps_coordinator_when_roles_change(factory, kisumu):
    make_coordinator(factory, GRACE, "kisumu-fish")

    load(factory, HEADER + f"{GRACE},,Grace,coordinator;fisher,kisumu-fish,,,,\n")
    load(factory, HEADER + f"{GRACE},,Grace,trader,kisumu-fish,,,,\n")

    assert roles_of(member(factory, phone=GRACE)) == {
        ("kisumu-fish", "coordinator"), ("kisumu-fish", "trader")}


@pytest.mark.parametrize("row, reason", [
    ("+254722000002,abc,Juma,,,,,,", "telegram_id must be a number"),
    ("+254722000002,,Juma,,,,,,maybe", "opted_out must be true or false"),
    ("+254722000002,,Juma,fisher,,,,,", "roles and clusters go together"),
    ("+254722000002,,Juma,,kisumu-fish,,,,", "roles and clusters go together"),
    ("+254722000002,,Juma", "expected 9 fields, found 3"),
    ("+254722000002,," + "J" * 101 + ",,,,,,", "name is longer than 100"),
])
def test_import_skips_row_when_cell_is_bad(factory, kisumu, row, reason):
    report = load(factory, HEADER + row + "\n")

    assert report.errors[0][0] == 2 and reason in report.errors[0][1]
    assert member(factory, phone=JUMA) is None


def test_import_skips_row_when_phone_and_telegram_id_are_two_members(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,,,,,,\n,42,Tomás,,,,,,\n")

    report = load(factory, HEADER + f"{AMINA},42,Amina,,,,,,\n")

    assert "two different members" in report.errors[0][1]
    assert member(factory, phone=AMINA).telegram_id is None


LISTED_HEADER = HEADER.replace("opted_out\n", "opted_out,listed\n")


def test_import_reads_listed_column_and_empty_cell_keeps_the_answer(factory, kisumu):
    load(factory, LISTED_HEADER + f"{AMINA},,Amina,,,,,,,yes\n{JUMA},,Juma,,,,,,,0\n"
                                  f"{GRACE},,Grace,,,,,,,\n")
    assert [member(factory, phone=p).listed for p in (AMINA, JUMA, GRACE)] == [True, False, None]

    load(factory, LISTED_HEADER + f"{AMINA},,Amina,,,,,,,\n{JUMA},,Juma,,,,,,,TRUE\n")
    load(factory, HEADER + f"{AMINA},,Amina,,,,,,\n")  # a file without the column

    assert [member(factory, phone=p).listed for p in (AMINA, JUMA)] == [True, True]


@pytest.mark.parametrize("row, reason", [
    ("+254722000002,,Juma,,,,,,,maybe", "listed must be true or false: maybe"),
    ("+254722000002,,Juma,,,,,,", "expected 10 fields, found 9"),
])
def test_import_skips_row_when_listed_cell_is_bad(factory, kisumu, row, reason):
    report = load(factory, LISTED_HEADER + f"{AMINA},,Amina,,,,,,,yes\n" + row + "\n")

    assert report.errors == [(3, reason)] and report.added == 1
    assert member(factory, phone=JUMA) is None


@pytest.mark.parametrize("header", [HEADER.replace("opted_out", "opted_out,listed,extra"),
                                    HEADER.replace("opted_out", "listed")])
def test_import_fails_when_header_has_unknown_last_column(factory, header):
    with pytest.raises(roster.RosterError, match="optionally ,listed"):
        load(factory, header + "+254722000002,,Juma,,,,,,,\n")


def test_import_fails_when_header_is_wrong(factory):
    with pytest.raises(roster.RosterError, match="header"):
        load(factory, "phone,name\n+254722000002,Juma\n")


def test_import_fails_when_file_is_empty(factory):
    with pytest.raises(roster.RosterError, match="empty"):
        load(factory, "")


def test_export_writes_english_product_names_and_sorted_lists(factory, kisumu, mombasa):
    make_coordinator(factory, GRACE, "kisumu-fish", "mombasa-crafts")
    load(factory, HEADER + f"{GRACE},,Grace,coordinator;fisher,mombasa-crafts;kisumu-fish,sw,"
                           "kisumu,sato;boat repair,\n")

    assert export(factory).splitlines()[1] == (
        "+254722000003,,Grace,fisher;coordinator,kisumu-fish;mombasa-crafts,sw,Kisumu,"
        "tilapia;boat repair,false,")


def test_export_leaves_out_deleted_members(factory, kisumu):
    load(factory, HEADER + f"{AMINA},,Amina,,,,,,\n{JUMA},,Juma,,,,,,\n")
    with unit_of_work(factory) as session:
        members.anonymise(session, members.find(session, phone=AMINA))

    assert [line.split(",")[0] for line in export(factory).splitlines()] == ["phone", JUMA]


def test_export_round_trips_through_empty_database(factory, kisumu, mombasa):
    make_coordinator(factory, GRACE, "kisumu-fish", "mombasa-crafts")
    report = load_file(factory, "members_good.csv")
    assert report.errors == []
    first = export(factory)

    empty_database(factory)
    make_coordinator(factory, GRACE, "kisumu-fish", "mombasa-crafts")
    second = load(factory, first)
    assert (second.added, second.updated, second.errors) == (4, 1, [])
    assert [member(factory, phone=p).listed for p in (AMINA, JUMA, GRACE)] == [True, False, None]

    assert export(factory) == first
    given = (DATA / "members_good.csv").read_text(encoding="utf-8")
    assert sorted(first.splitlines()) == sorted(given.splitlines())  # Grace was added first


def empty_database(factory) -> None:
    """Drops every row, then puts back the catalog and the two cluster networks."""
    with unit_of_work(factory) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        seed(session)
        for slug, name in [("kisumu-fish", "Kisumu Fish"), ("mombasa-crafts", "Mombasa Crafts")]:
            clusters.add(session, slug=slug, name=name, currency="KES", country="KE",
                         languages=["sw", "en"], timezone="Africa/Nairobi")
    with unit_of_work(factory) as session:
        assert members.all_members(session) == []
        assert products.by_slug(session, "tilapia") is not None


def test_export_guards_cells_that_look_like_formulas_and_import_reads_them_back(factory, kisumu):
    with unit_of_work(factory) as session:
        member = members.get_or_create(session, phone=JUMA)
        member.name, member.place_name = "Juma", "=HYPERLINK(\"http://x\")"
    buffer = io.StringIO()
    with unit_of_work(factory) as session:
        roster.export_members(session, buffer)
    assert "'=HYPERLINK" in buffer.getvalue()
    with unit_of_work(factory) as session:
        roster.import_members(session, io.StringIO(buffer.getvalue()), "cli", region="KE",
                              file_name="members.csv")
    with unit_of_work(factory) as session:
        assert members.find(session, phone=JUMA).place_name == "=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("name, written", [
    ("=1+1", "'=1+1"),
    ("+1+cmd", "'+1+cmd"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Juma\r=1+1", "Juma\r=1+1"),  # quoted: a bare CR would start a new spreadsheet row
    ("-5", "-5"),
    ("+254722000009", "+254722000009"),
    ("Juma", "Juma"),
])
def test_export_guards_cell_when_spreadsheet_would_run_it(factory, name, written):
    with unit_of_work(factory) as session:
        members.get_or_create(session, phone=JUMA).name = name

    header, juma = csv.reader(io.StringIO(export(factory)))

    assert juma[:3] == [JUMA, "", written]


def test_columns_of_a_header_with_or_without_listed():
    assert roster.columns_of([" phone", *roster.HEADER[1:]]) == roster.HEADER
    assert roster.columns_of(roster.COLUMNS) == roster.COLUMNS
    assert roster.columns_of(["name", "phone"]) is None and roster.columns_of(None) is None


# Batches: the rows are written BATCH at a time inside the one transaction.

def members_file(tmp_path, rows: int) -> Path:
    """A members file of `rows` new fishers of kisumu-fish (phones +2547330xxxxx)."""
    file = tmp_path / "members.csv"
    file.write_text(HEADER + "".join(f"+2547330{i:05d},,Member {i},fisher,kisumu-fish,sw,Kisumu,"
                                     "sato;dagaa,\n" for i in range(rows)), encoding="utf-8")
    return file


def count_members(factory) -> int:
    with unit_of_work(factory) as session:
        return len(members.all_members(session))


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_import_reports_the_same_bad_rows_whatever_the_batch(factory, kisumu, monkeypatch, batch):
    monkeypatch.setattr(roster, "BATCH", batch)

    report = load_file(factory, "members_mixed.csv")

    assert [line for line, _ in report.errors] == [3, 4, 6, 7, 8, 12]
    assert (report.added, report.updated, report.skipped) == (3, 0, 6)
    assert [(p.product.slug if p.product else None, p.raw_name)
            for p in member(factory, phone=AMINA).products] == [
        ("omena", "omena"), ("dried_fish", "dried fish")]
    assert member(factory, telegram_id=5551234).place_name == "Dunga Beach,\nKisumu"


def test_import_updates_a_member_named_by_two_rows_of_one_batch(factory, kisumu):
    load(factory, HEADER + f"{JUMA},42,Juma,fisher,kisumu-fish,,,,\n")

    report = load(factory, HEADER + f"{JUMA},,Juma Otieno,trader,kisumu-fish,,,,\n"
                                     f",42,,,,en,Ksm,sato,\n")

    assert (report.added, report.updated, report.errors) == (0, 2, [])
    juma = member(factory, telegram_id=42)
    assert (juma.phone, juma.name, juma.language, juma.place_name) == (
        JUMA, "Juma Otieno", "en", "Kisumu")
    assert roles_of(juma) == {("kisumu-fish", "trader")}
    assert [p.product.slug for p in juma.products] == ["tilapia"]


def test_import_gives_a_phone_a_member_gave_up_on_an_earlier_row_to_a_new_member(factory, kisumu):
    load(factory, HEADER + f"{JUMA},42,Juma,,,,,,\n")

    report = load(factory, HEADER + f"{TOMAS},42,Juma,,,,,,\n{JUMA},,Amina,,,,,,\n")

    assert (report.added, report.updated, report.errors) == (1, 1, [])
    assert member(factory, telegram_id=42).phone == TOMAS
    assert member(factory, phone=JUMA).name == "Amina"


def test_import_passes_a_phone_between_two_members_in_one_batch(factory, kisumu):
    # Grace takes Juma's phone as he gives it up. Should the database be asked to give it to
    # her first, it refuses the batch, which is written again row by row, in file order.
    load(factory, HEADER + f"{GRACE},7,Grace,,,,,,\n{JUMA},8,Juma,,,,,,\n")

    report = load(factory, HEADER + f"{TOMAS},8,,,,,,,\n{JUMA},7,,,,,,,\n")

    assert (report.added, report.updated, report.errors) == (0, 2, [])
    assert member(factory, telegram_id=7).phone == JUMA
    assert member(factory, telegram_id=8).phone == TOMAS
    assert member(factory, phone=GRACE) is None


def test_import_reports_a_value_the_database_refuses_by_line_and_loads_the_rest(
        factory, kisumu, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite stores a NUL character; PostgreSQL refuses it")

    report = load(factory, HEADER + f"{GRACE},,Grace,,,,,,\n{JUMA},,Ju\x00ma,,,,,,\n"
                                     f"{AMINA},,Amina,,,,,,\n")

    assert report.errors == [(3, "a value does not fit the database")]
    assert (report.added, count_members(factory)) == (2, 2)


def test_import_keeps_the_membership_of_a_role_the_member_already_had(factory, kisumu):
    load(factory, HEADER + f"{JUMA},,Juma,fisher;trader,kisumu-fish,,,,\n")
    before = {m.role: m.id for m in member(factory, phone=JUMA).memberships}

    load(factory, HEADER + f"{JUMA},,Juma,fisher,kisumu-fish,,,,\n")

    assert {m.role: m.id for m in member(factory, phone=JUMA).memberships} == {
        "fisher": before["fisher"]}


def test_members_import_leaves_members_unchanged_when_it_fails_at_the_end(
        clusterbot, factory, kisumu, tmp_path, monkeypatch):
    load(factory, HEADER + f"{AMINA},,Amina,fish_processor,kisumu-fish,,,,\n")
    file = members_file(tmp_path, 2500)  # three batches written before the failure

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(roster.audit, "record", broken)
    result = clusterbot("members", "import", str(file))

    assert (result.exit_code, result.stderr) == (1, "error: the disk is full\n")
    assert count_members(factory) == 1 and member(factory, phone=AMINA).name == "Amina"


def test_members_import_leaves_members_unchanged_when_a_late_line_is_not_utf8(
        clusterbot, factory, kisumu, tmp_path):
    file = members_file(tmp_path, 2500)
    with file.open("ab") as f:
        f.write(b"0722000002,,Tom\xe1s,,,,,,\n")

    result = clusterbot("members", "import", str(file))

    assert (result.exit_code, result.stderr) == (1, f"error: {file} is not UTF-8 text\n")
    assert count_members(factory) == 0


def test_members_import_shows_progress_and_leaves_members_unchanged_when_killed(
        factory, kisumu, database_url, tmp_path):
    """The command in a terminal (a pseudo-terminal here) shows a progress bar on stderr; killed
    while it shows one, it has stored nothing: every row is in one transaction."""
    load(factory, HEADER + f"{AMINA},,Amina,fish_processor,kisumu-fish,,,,\n")
    rows = 20_000
    file = members_file(tmp_path, rows)
    reader, writer = pty.openpty()
    env = {**os.environ, "CLUSTERBOT_DATABASE_URL": database_url, "TERM": "xterm",
           "CLUSTERBOT_DEFAULT_COUNTRY": "KE", "COLUMNS": "100"}
    child = subprocess.Popen([sys.executable, "-m", "bot", "members", "import", str(file)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=writer)
    os.close(writer)
    try:
        seen = read_until(reader, re.compile(rb"importing .* ([1-9]\d*)/(\d+) lines"))
        child.kill()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(reader)

    done, total = map(int, seen.groups())
    assert total == rows + 1 and done < total
    assert count_members(factory) == 1 and member(factory, phone=AMINA).name == "Amina"


ANSI_CODES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")  # colours, cursor moves


def read_until(fd: int, wanted: re.Pattern, timeout: float = 120) -> re.Match:
    """Reads a pseudo-terminal until `wanted` matches what it showed; the match."""
    shown, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            try:
                shown += os.read(fd, 4096)
            except OSError:  # the child closed it: it ended
                break
            found = wanted.search(ANSI_CODES.sub(b"", shown))
            if found:
                return found
    raise AssertionError(f"no progress shown: {shown[-500:]!r}")
