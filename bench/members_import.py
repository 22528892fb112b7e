"""Time and peak memory of `clusterbot members import` of 100,000 members, the command users run.

    python bench/members_import.py                          # SQLite file in a temporary directory
    python bench/members_import.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

A CSV of `--rows` members is written as a coordinator's spreadsheet would have them: local and
international phone numbers, some members on Telegram, one or two roles in one or two of three
clusters, places by their names and other names (`Ksm`, `Homabay`) or as landing sites the
gazetteer does not know, products in English and Swahili or unknown, a few opted out, and about
1 % of bad rows (a bad phone, an unknown role or cluster, a phone given on an earlier line, a
coordinator role, a row cut short). `--known` of its members are in the database before (their
rows are updates). Then `python -m bot members import FILE` runs in a child process on a scratch
database: seconds from start to exit, rows per second, and the child's peak resident memory.
Also timed, in the same run: the command on a file with the header only (its start-up), the
same file imported again (every row an update), and a bare baseline: the same good rows as
plain bulk inserts (members, memberships, products) in one transaction, in this process.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, backend, machine, scratch_database, table
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from storage import clusters
from storage.db import session_factory, unit_of_work
from storage.models import Member, MemberProduct, Membership

HEADER = ["phone", "telegram_id", "name", "roles", "clusters", "language", "location", "products",
          "opted_out", "listed"]
FIRST = ["Amina", "Juma", "Grace", "Tomás", "Achieng", "Otieno", "Wanjiru", "Mwanaisha", "Baraka",
         "Zawadi", "Odhiambo", "Akinyi", "Kamau", "Njeri", "Fatuma", "Hamisi", "Chiku", "Omondi"]
LAST = ["Otieno", "Ouma", "Achieng", "Silva", "Mwangi", "Kiptoo", "Hassan", "Ali", "Wekesa",
        "Njoroge", "Adhiambo", "Mohamed", "Okoth", "Nyambura", "Barasa"]
ROLES = ["fisher", "fish_processor", "craftsperson", "farmer", "food_supplier", "trader",
         "transporter"]
CLUSTERS = [("kisumu-fish",) * 6, ("mombasa-crafts",) * 2, ("homa-bay-fish",),
            ("kisumu-fish", "homa-bay-fish"), ("kisumu-fish", "mombasa-crafts")]
PLACES = ["Kisumu", "kisumu", "Ksm", "Homa Bay", "Homabay", "Mombasa", "Siaya", "Bondo", "Migori",
          "Busia", "Kilifi", "Malindi", "Dunga Beach", "Usenge", "Kaloka beach", "Mbita",
          "Kendu Bay", "Kongowea (Mombasa)", "Luanda Kotieno", ""]
PRODUCTS = ["tilapia", "sato", "ngege", "omena", "dagaa", "Nile perch", "sangara", "dried fish",
            "smoked fish", "baskets", "beads", "boat repair", "nets", "maize", "beans", "kale",
            "sukuma wiki", "fish feed", "ice", "mats"]
LANGUAGES = ["sw", "sw", "en", "en", "", "", "fr", "pt"]
BAD_KINDS = ["phone", "role", "cluster", "repeated", "language", "coordinator", "short"]


def phone(i: int, local: bool) -> str:
    """A valid Kenyan mobile number, unique per i, written locally or in E.164."""
    digits = f"7{i % 3}{i:07d}"
    return f"0{digits}" if local else f"+254{digits}"


def write_csv(path: Path, rows: int, known: int, bad_every: int, seed: int = 19) -> dict:
    """Writes the file; returns what an import must report and the good rows for the baseline."""
    rng = random.Random(seed)
    expected = {"added": 0, "updated": 0, "skipped": 0, "good": []}
    earlier: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(rows):
            is_known = i < known  # the first phones are those of the members already stored
            number = phone(i, local=rng.random() < 0.6)
            telegram = str(10**9 + i) if rng.random() < 0.2 else ""
            if not is_known and rng.random() < 0.1:
                number = ""  # Telegram only
                telegram = telegram or str(10**9 + i)
            chosen = rng.choice(CLUSTERS) if rng.random() < 0.95 else ()
            roles = rng.sample(ROLES, rng.choice((1, 1, 1, 2))) if chosen else []
            products = rng.sample(PRODUCTS, rng.choice((0, 1, 1, 2, 2, 3)))
            row = [number, telegram, f"{rng.choice(FIRST)} {rng.choice(LAST)}", ";".join(roles),
                   ";".join(dict.fromkeys(chosen)), rng.choice(LANGUAGES), rng.choice(PLACES),
                   ";".join(products), "true" if rng.random() < 0.02 else rng.choice(("false", "")),
                   rng.choice(("true", "false", ""))]
            if bad_every and i % bad_every == bad_every // 2 and not is_known:
                row = bad_row(row, rng.choice(BAD_KINDS), earlier)
                expected["skipped"] += 1
            else:
                expected["updated" if is_known else "added"] += 1
                expected["good"].append(row)
                if number and len(earlier) < 1000:
                    earlier.append(number)
            writer.writerow(row)
    return expected


def bad_row(row: list[str], kind: str, earlier: list[str]) -> list[str]:
    row = list(row)
    if kind == "phone":
        row[0], row[1] = "12345", ""
    elif kind == "role":
        row[3], row[4] = "sailor", "kisumu-fish"
    elif kind == "cluster":
        row[3], row[4] = "fisher", "nowhere"
    elif kind == "repeated" and earlier:
        row[0] = earlier[-1].replace("+254", "0") if earlier[-1].startswith("+") else earlier[-1]
    elif kind == "language":
        row[5] = "de"
    elif kind == "coordinator":
        row[3], row[4] = "fisher;coordinator", "kisumu-fish"
    else:
        row = row[:4]
    if row[0] == "" and row[1] == "" and kind != "phone":
        row[1] = "999"  # still a row with a phone or a telegram_id, bad for its own reason
    return row


def add_clusters(url: str) -> None:
    with unit_of_work(session_factory(url)) as session:
        for slug, name in [("mombasa-crafts", "Mombasa Crafts"),
                           ("homa-bay-fish", "Homa Bay Fish")]:
            clusters.add(session, slug=slug, name=name, currency="KES", country="KE",
                         languages=["sw", "en"], timezone="Africa/Nairobi")


def add_known(url: str, known: int) -> None:
    """The members the first `known` rows name, stored before, each a fisher of kisumu-fish."""
    with unit_of_work(session_factory(url)) as session:
        kisumu = clusters.by_slug(session, "kisumu-fish").id
        for start in range(0, known, 5_000):
            ids = session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                  [{"phone": phone(i, local=False), "name": f"Known {i}"}
                                   for i in range(start, min(known, start + 5_000))]).all()
            session.execute(insert(Membership), [{"member_id": member_id, "cluster_id": kisumu,
                                                  "role": "fisher"} for member_id in ids])


def run_import(url: str, file: Path) -> dict:
    """Runs `python -m bot members import FILE`; its wall seconds, peak RSS (MB) and output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLUSTERBOT_DATABASE_URL": url,
           "CLUSTERBOT_DEFAULT_COUNTRY": "KE"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bot", "members", "import", str(file)],
                                 cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        sys.exit(f"the import failed ({child.returncode}): {stderr[-2000:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "stdout": stdout.strip(),
            "bad_lines": sum(line.startswith("line ") for line in stderr.splitlines())}


def bare_insert(url: str, rows: list[list[str]]) -> float:
    """The baseline: the good rows as plain bulk inserts in one transaction, 5,000 rows a
    statement, with the ids returned (phones as written, products and places as text, no
    checks, no look-ups); its seconds."""
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        slugs = {c.slug: c.id for c in clusters.all_clusters(session)}
    start = time.perf_counter()
    with unit_of_work(factory) as session:
        for first in range(0, len(rows), 5_000):
            chunk = rows[first:first + 5_000]
            returned = session.execute(
                insert(Member).returning(Member.id, Member.phone, Member.telegram_id)
                .execution_options(render_nulls=True),
                [{"phone": r[0] or None, "telegram_id": int(r[1]) if r[1] else None,
                  "name": r[2], "language": r[5] or None, "place_name": r[6] or None,
                  "opted_out": r[8] == "true", "listed": {"true": True, "false": False}.get(r[9])}
                 for r in chunk])
            by_address = {(phone, telegram_id): member_id
                          for member_id, phone, telegram_id in returned}
            ids = [by_address[r[0] or None, int(r[1]) if r[1] else None] for r in chunk]
            roles = [{"member_id": i, "cluster_id": slugs[s], "role": role}
                     for i, r in zip(ids, chunk) for s in filter(None, r[4].split(";"))
                     for role in filter(None, r[3].split(";"))]
            products = [{"member_id": i, "raw_name": p}
                        for i, r in zip(ids, chunk) for p in filter(None, r[7].split(";"))]
            if roles:
                session.execute(insert(Membership), roles)
            if products:
                session.execute(insert(MemberProduct).execution_options(render_nulls=True),
                                products)
    return time.perf_counter() - start


def count_members(url: str) -> int:
    with unit_of_work(session_factory(url)) as session:
        return session.scalar(select(func.count()).select_from(Member))


def bare_url(url: str | None) -> str | None:
    """A second scratch database for the baseline (PostgreSQL: the name with `_bare`)."""
    if url is None or url.startswith("sqlite"):
        return None
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_bare").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--known", type=int, default=5_000, help="rows naming stored members")
    parser.add_argument("--bad-every", type=int, default=100, help="one bad row in N")
    parser.add_argument("--no-again", action="store_true", help="skip the import of the same "
                                                                "file again")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clusterbot-import-") as folder:
        file, empty = Path(folder) / "members.csv", Path(folder) / "header.csv"
        expected = write_csv(file, args.rows, min(args.known, args.rows), args.bad_every)
        empty.write_text(",".join(HEADER) + "\n", encoding="utf-8")
        results = []
        with scratch_database(args.database_url) as url:
            add_clusters(url)
            add_known(url, min(args.known, args.rows))
            print(f"members import on {backend(url)}; {machine()}\n")
            print(f"    python -m bot members import FILE   # {args.rows:,} rows, "
                  f"{file.stat().st_size / 2**20:.1f} MB\n")
            start_up = run_import(url, empty)
            results.append(("start-up (header only)", 0, start_up))
            first = run_import(url, file)
            results.append(("import", args.rows, first))
            want = (f"imported {expected['added']}, updated {expected['updated']}, "
                    f"skipped {expected['skipped']}")
            if first["stdout"] != want or first["bad_lines"] != expected["skipped"]:
                sys.exit(f"the import said {first['stdout']!r} ({first['bad_lines']} bad lines), "
                         f"expected {want!r}")
            stored = count_members(url)
            if not args.no_again:
                again = run_import(url, file)
                results.append(("the same file again (updates)", args.rows, again))
                if count_members(url) != stored:
                    sys.exit("importing the same file again added members")
        with scratch_database(bare_url(args.database_url)) as url:
            add_clusters(url)
            bare = bare_insert(url, expected["good"])

    rows = [[what, f"{result['seconds']:.1f}",
             f"{count / result['seconds']:,.0f}" if count else "-", f"{result['rss_mb']:.0f}",
             result["stdout"] or "-"] for what, count, result in results]
    rows.append([f"baseline: {len(expected['good']):,} good rows as plain bulk inserts",
                 f"{bare:.1f}", f"{len(expected['good']) / bare:,.0f}", "-", "-"])
    print(table(["run", "seconds", "rows/s", "peak MB", "output"], rows))
    print(f"\nmembers stored after the import: {stored:,}; "
          f"import / bare baseline: {first['seconds'] / bare:.1f}x "
          f"({(first['seconds'] - start_up['seconds']) / bare:.1f}x without the start-up)")


if __name__ == "__main__":
    main()
