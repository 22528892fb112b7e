"""Seconds and peak memory of `clusterbot broadcast` to a cluster of 100,000 registered members.

    python bench/fanout.py                                    # SQLite file in a temp directory
    python bench/fanout.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout

A real network is bulk-inserted first (not timed): 100,000 registered members of one Kenyan
cluster (languages sw, en) with a membership and role each (every tenth a second role), a
place of the cluster's country, one or two products, a language (sw, en, fr or none), every
fourth also on Telegram, every twentieth on Telegram only, every twenty-fifth opted out.
Then the command users run, `python -m bot broadcast ... --wait 0` (what `clusterbot broadcast`
runs; --wait 0 queues and returns, the progress bar is not timed), is started as a child
process, alternating in each round with its baselines: `python -m bot --help` (start-up:
Python and the imports) and a broadcast to a cluster with no members (start-up, opening the
database, writing the broadcast and its audit entry). Also one to the fishers only (about two
fifths of the members), to see what grows with the audience. The outbox is emptied after each
broadcast. Per command: wall seconds, CPU seconds and the peak resident memory of the child
(getrusage of that child, from os.wait4).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from sqlalchemy import create_engine, delete, func, insert, select, text

from common import ROOT, analyze, backend, bot_env, machine, scratch_database, table
from handlers.registration import ROLES
from storage import clusters
from storage.broadcasts import Broadcast
from storage.db import session_factory, unit_of_work
from storage.models import (AuditEntry, Cluster, Member, MemberProduct, Membership,
                            OutboundMessage, Place, Product)

CLUSTER, EMPTY = "kisumu-fish", "empty-cluster"  # the first is made by scratch_database
ENGLISH = "Meeting on Friday 10:00 at Dunga Beach. Bring your catch records."
SWAHILI = "Mkutano Ijumaa saa nne asubuhi Dunga Beach. Leteni kumbukumbu za samaki."
LANGUAGES = ["sw"] * 10 + ["en"] * 7 + ["fr"] + [None] * 2
FIRST_NAMES = ["Amina", "Juma", "Grace", "Peter", "Mercy", "John", "Faith", "Hassan", "Rose",
               "Samuel", "Akinyi", "Otieno", "Wanjiru", "Kamau", "Atieno", "Kiprono"]
LAST_NAMES = ["Otieno", "Odhiambo", "Achieng", "Ouma", "Awino", "Kamau", "Wanjiru", "Ali",
              "Atieno", "Kiprono", "Omondi", "Njoroge", "Mutua", "Chebet", "Wafula"]
CHUNK = 5_000


def add_network(url: str, count: int, seed: int = 19) -> None:
    """`count` registered members of CLUSTER, as described above, in chunks of CHUNK."""
    rng = random.Random(seed)
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        cluster_id = session.scalar(select(Cluster.id).where(Cluster.slug == CLUSTER))
        places = session.execute(select(Place.id, Place.name).where(Place.country == "KE")).all()
        products = session.execute(select(Product.id, Product.slug)).all()
        clusters.add(session, slug=EMPTY, name="Empty", currency="KES", country="KE",
                     languages=["sw", "en"], timezone="Africa/Nairobi")
    roles = list(ROLES)
    for start in range(0, count, CHUNK):
        members = []
        for i in range(start, min(count, start + CHUNK)):
            place = rng.choice(places)
            members.append({
                "phone": None if i % 20 == 19 else f"+2547{i:08d}",
                "telegram_id": 5 * 10**9 + i if i % 4 == 0 or i % 20 == 19 else None,
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "language": rng.choice(LANGUAGES), "language_chosen": True,
                "place_id": place.id, "place_name": place.name, "registered": True,
                "opted_out": i % 25 == 24, "listed": i % 3 == 0})
        with unit_of_work(factory) as session:
            ids = session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                  members).all()
            memberships, owned = [], []
            for n, member_id in enumerate(ids):
                role = roles[rng.randrange(len(roles))] if n % 3 else "fisher"
                memberships.append({"member_id": member_id, "cluster_id": cluster_id,
                                    "role": role})
                if n % 10 == 0:
                    other = rng.choice([r for r in roles if r != role])
                    memberships.append({"member_id": member_id, "cluster_id": cluster_id,
                                        "role": other})
                for product in rng.sample(products, rng.choice((1, 1, 2))):
                    owned.append({"member_id": member_id, "product_id": product.id,
                                  "raw_name": product.slug})
            session.execute(insert(Membership), memberships)
            session.execute(insert(MemberProduct), owned)


@dataclass
class Command:
    """One command line and what each of its runs cost."""

    label: str
    args: list[str]
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    reached: int | None = None  # members the broadcast was queued to, as the command said

    def run(self, env: dict) -> str:
        """Runs it once as a child process; returns its stdout. Exits on a failure."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, *self.args], cwd=ROOT, env=env,
                                     stdout=out, stderr=err)
            # wait4, not Popen.wait: it also gives that child's own resource usage
            _, status, usage = os.wait4(child.pid, 0)
            self.seconds.append(time.perf_counter() - start)
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0), err.seek(0)
            said, complaint = out.read().decode(), err.read().decode()
        self.cpu.append(usage.ru_utime + usage.ru_stime)
        self.rss_mb.append(usage.ru_maxrss / 1024)  # Linux: KiB
        if child.returncode != 0:
            sys.exit(f"{' '.join(self.args)} failed:\n{complaint[-2000:]}")
        count = re.search(r"Broadcast \d+: (\d+) members", said)
        if count:
            self.reached = int(count.group(1))
        return said


def clear(url: str) -> None:
    """Empties the outbox, the broadcasts and the audit log; PostgreSQL: vacuumed and analysed,
    so that every round starts from the same tables."""
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        session.execute(delete(OutboundMessage))
        session.execute(delete(AuditEntry))
        session.execute(delete(Broadcast))
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE outbound_messages"))
        engine.dispose()


def queued(url: str) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(OutboundMessage))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command, alternated")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url:
        started = time.perf_counter()
        add_network(url, args.members)
        analyze(url)
        print(f"`clusterbot broadcast` to {args.members:,} members on {backend(url)}; "
              f"{machine()}\n(network inserted in {time.perf_counter() - started:.0f} s)\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT), **bot_env(url, None, 0)}
        broadcast = ["-m", "bot", "broadcast", "--wait", "0", "--translation", f"en={ENGLISH}"]
        commands = [
            Command("python -m bot --help", ["-m", "bot", "--help"]),
            Command("broadcast, cluster with no members",
                    [*broadcast, "--cluster", EMPTY, SWAHILI]),
            Command("broadcast --role fisher", [*broadcast, "--cluster", CLUSTER,
                                                "--role", "fisher", SWAHILI]),
            Command("broadcast, whole cluster", [*broadcast, "--cluster", CLUSTER, SWAHILI]),
        ]
        for _ in range(args.rounds):
            for command in commands:
                command.run(env)
                if command.reached is not None:
                    assert queued(url) == command.reached, (queued(url), command.reached)
                    clear(url)

        print(table(["command", "members reached", "runs", "median s", "min s", "max s",
                     "median CPU s", "peak RSS MB (median)", "peak RSS MB (max)"],
                    [[c.label, "-" if c.reached is None else c.reached, len(c.seconds),
                      statistics.median(c.seconds), min(c.seconds), max(c.seconds),
                      statistics.median(c.cpu), statistics.median(c.rss_mb), max(c.rss_mb)]
                     for c in commands]))
        start_up, empty, role, whole = commands
        queueing = statistics.median(whole.seconds) - statistics.median(empty.seconds)
        grown = statistics.median(whole.rss_mb) - statistics.median(empty.rss_mb)
        print(f"\nqueueing {whole.reached:,} messages (whole cluster minus empty cluster, "
              f"medians): {queueing:.2f} s; start-up (empty cluster) "
              f"{statistics.median(empty.seconds):.2f} s, of which `--help` "
              f"{statistics.median(start_up.seconds):.2f} s")
        print(f"peak RSS, whole cluster minus empty cluster: {grown:+.1f} MB "
              f"({1024 * grown / whole.reached:.2f} KB per member reached); fishers only "
              f"({role.reached:,}): "
              f"{statistics.median(role.rss_mb) - statistics.median(empty.rss_mb):+.1f} MB")
        print(f"targets: {whole.reached:,} queued in < 10 s: "
              f"{'met' if queueing < 10 else 'NOT met'}; peak RSS < 200 MB: "
              f"{'met' if max(whole.rss_mb) < 200 else 'NOT met'}; {machine()}")


if __name__ == "__main__":
    main()
