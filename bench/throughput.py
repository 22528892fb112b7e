"""Server CPU per inbound SMS, from the webhook to the reply sent, under a mixed load of keywords.

    python bench/throughput.py                       # SQLite file in a temporary directory
    python bench/throughput.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_tp
    python bench/throughput.py --network 100000      # in a network of 100,000 members, with
                                                     # 100,000 messages each way in the history
    python bench/throughput.py --database-url ... --processes 2
    python bench/throughput.py --profile build/throughput.txt   # py-spy samples of the server

`python -m bot run` (CLUSTERBOT_SMS_MPS=0: no outbound limit) sends its replies to the Twilio
double, in a third process. In each round, 100 registered members of one cluster each send HELP,
PRICE maize, SELL, BUY and OFFERS (one product per round, so that a round's listings match only
each other): every member's HELP, posted from 16 connections, then every member's PRICE, and so
on. The server's CPU time (user + system, all threads, from /proc) from the first post until
every message is handled and every reply sent, divided by the messages, is the figure; messages
a second is the messages over the wall time of the same span. With `--processes 2` the members
are spread over two servers on one database (as a proxy spreads webhooks) and the CPU is theirs
together.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import statistics
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import insert, select

from common import (PUBLIC_URL, Child, TwilioProcess, analyze, backend, bot_env, drained, machine,
                    observer, scratch_database, table, wait_until)
from doubles.twilio import TwilioDouble  # after common, which puts tests/ on the path
from storage.db import session_factory, unit_of_work
from storage.models import (Cluster, InboundMessage, Member, Membership, OutboundMessage,
                            Place)

BOT = ["-m", "bot", "run"]
WEBHOOK = "/webhooks/sms"
MEMBERS = 100
CONNECTIONS = 16
PLACES = ["Kisumu", "Homa Bay", "Busia", "Siaya"]
PRODUCTS = ["tilapia", "omena", "nile perch", "catfish", "maize", "beans"]  # one per round
PRICES = Path(__file__).resolve().parent.parent / "tests" / "data" / "wfp_kenya_food_prices.csv"


def keywords(product: str, member: int) -> list[str]:
    """What a member sends in a round, in order."""
    place = PLACES[member % len(PLACES)]
    return ["HELP", "PRICE maize", f"SELL {product} 50kg 120/kg {place}",
            f"BUY {product} 40kg max 130 {place}", "OFFERS"]


def phone(round_: int, member: int) -> str:
    return f"+25472{round_:02d}{member:05d}"


# --- The database -------------------------------------------------------------------------------

def prepare_load(url: str, rounds: int) -> None:
    """The members who send the load (registered fishers of the cluster) and WFP prices."""
    from bot.commands.prices import import_prices
    from scenes import add_member
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        cluster = session.scalar(select(Cluster))
        for r in range(rounds):
            for m in range(MEMBERS):
                add_member(session, phone(r, m), "fisher", cluster, "en", f"Member {r}-{m}",
                           place=PLACES[m % len(PLACES)])
        with PRICES.open(encoding="utf-8", newline="") as file:
            import_prices(session, file, "cli", source="wfp", file_name=PRICES.name)


def add_network(url: str, count: int) -> None:
    """`count` registered members of the cluster, and for each one message received from them
    (handled) and one sent to them: the history of a network that has been running a while."""
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        cluster_id = session.scalar(select(Cluster.id))
        place_id = session.scalar(select(Place.id).where(Place.name == "Kisumu"))
    for start in range(0, count, 5_000):
        numbers = range(start, min(count, start + 5_000))
        with unit_of_work(factory) as session:
            ids = session.scalars(insert(Member).returning(Member.id), [
                {"phone": f"+2547231{i:05d}", "name": f"Fisher {i}", "language": "sw",
                 "language_chosen": True, "registered": True, "place_name": "Kisumu",
                 "place_id": place_id} for i in numbers]).all()
            session.execute(insert(Membership), [
                {"member_id": id_, "cluster_id": cluster_id, "role": "fisher"} for id_ in ids])
            session.execute(insert(InboundMessage), [
                {"channel": "sms", "provider_id": f"SMhistory{id_:010d}",
                 "address": f"+2547231{i:05d}", "member_id": id_, "text": "HELP", "extra": {},
                 "status": "handled"}
                for i, id_ in zip(numbers, ids)])
            session.execute(insert(OutboundMessage), [
                {"channel": "sms", "address": f"+2547231{i:05d}", "member_id": id_,
                 "text": "Meeting on Friday 10:00 at Dunga Beach.", "choices": [],
                 "kind": "broadcast", "status": "sent", "attempts": 1,
                 "provider_id": f"SMsent{id_:010d}"}
                for i, id_ in zip(numbers, ids)])


# --- The load -----------------------------------------------------------------------------------

def signed_requests(servers: list[Child], round_: int, step: int, product: str) -> list:
    """(server url, body, headers) of every member's message at `step`, signed beforehand."""
    double = TwilioDouble()
    requests = []
    for m in range(MEMBERS):
        params = double.inbound_params(phone(round_, m), keywords(product, m)[step])
        headers = {"X-Twilio-Signature": double.sign(PUBLIC_URL + WEBHOOK, params),
                   "Content-Type": "application/x-www-form-urlencoded"}
        requests.append((servers[m % len(servers)].url, urlencode(params).encode(), headers))
    return requests


async def post_all(requests: list) -> int:
    """Posts every request from CONNECTIONS connections; returns how many were not 200."""
    pending, failures = iter(requests), 0
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker():
            nonlocal failures
            for url, body, headers in pending:
                async with session.post(url + WEBHOOK, data=body, headers=headers) as response:
                    await response.read()
                    failures += response.status != 200
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return failures


def exchanged(engine, address: str) -> list[str]:
    """The messages from and to `address`, in order, each on one line."""
    with engine.connect() as conn:
        got = conn.execute(select(InboundMessage.received_at, InboundMessage.text)
                           .where(InboundMessage.address == address)).all()
        sent = conn.execute(select(OutboundMessage.created_at, OutboundMessage.text)
                            .where(OutboundMessage.address == address)).all()
    return [("> " if (at, text) in got else "< ") + text.replace("\n", " / ")
            for at, text in sorted(got + sent, key=lambda row: naive(row[0]))]


def naive(moment):
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def run_round(servers: list[Child], engine, round_: int) -> dict:
    """One round; CPU seconds of the servers and wall seconds, first post to last reply."""
    product = PRODUCTS[round_ % len(PRODUCTS)]
    steps = [signed_requests(servers, round_, step, product) for step in range(5)]
    cpu, start, failures, busy = cpu_of(servers), time.monotonic(), 0, machine_busy()
    for requests in steps:
        failures += asyncio.run(post_all(requests))
        wait_until(lambda: drained(engine), timeout=600, interval=0.02, what="handled and sent")
    return {"messages": 5 * MEMBERS, "failures": failures, "cpu": cpu_of(servers) - cpu,
            "seconds": time.monotonic() - start, "busy": busy_since(busy)}


def machine_busy() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far, from /proc/stat (Linux)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # all but idle and iowait


def busy_since(before: tuple[int, int]) -> float:
    """The share of all the machine's cores busy since `before` (servers, database, double,
    load generator and anything else)."""
    busy, total = machine_busy()
    return (busy - before[0]) / max(1, total - before[1])


def cpu_of(servers: list[Child]) -> float:
    return sum(server.cpu_seconds() for server in servers)


def idle_cpu(servers: list[Child], seconds: float = 5.0) -> float:
    """CPU seconds a second the servers use with nothing to do (timers, pollers)."""
    before = cpu_of(servers)
    time.sleep(seconds)
    return (cpu_of(servers) - before) / seconds


@contextlib.contextmanager
def profiled(server: Child, path: str | None):
    """py-spy samples of the server's threads while the block runs, as collapsed stacks."""
    if not path:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(server.process.pid), "--rate", "250",
                            "--format", "raw", "--output", path, "--gil"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        yield
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes what it has
        spy.wait(timeout=60)


OURS = ("bot/", "handlers/", "storage/", "locales/")


def read_stacks(path: str) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy's collapsed stacks: ([(function, file), ...] outermost first, samples)."""
    stacks = []
    for line in Path(path).read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = []
        for frame in stack.split(";"):
            function, _, where = frame.partition(" (")
            frames.append((function, where.split(":")[0].rstrip(")")))
        stacks.append((frames, int(samples)))
    return stacks


def top_entries(path: str, count: int = 30) -> tuple[list[list], list[list]]:
    """Where the server's time goes: (our functions by the share of samples they were on the
    stack in, libraries by the share of samples spent in them, innermost frames grouped by
    package), as table rows."""
    stacks = read_stacks(path)
    total = sum(samples for _, samples in stacks)
    inside, packages = collections.Counter(), collections.Counter()
    for frames, samples in stacks:
        for function, where in set(frames):
            if where.startswith(OURS):
                inside[f"{function} ({where})"] += samples
        where = frames[-1][1]
        packages["/".join(where.split("/")[:2]) if "/" in where else where] += samples
    ours = [[name, 100 * n / total] for name, n in inside.most_common(count)]
    spent = [[name, 100 * n / total] for name, n in packages.most_common(count // 2)]
    return ours, spent


# --- Main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--rounds", type=int, default=4, help="the first one warms up")
    parser.add_argument("--network", type=int, default=0,
                        help="members (and messages each way) in the history beforehand")
    parser.add_argument("--processes", type=int, default=1, help="servers on the one database")
    parser.add_argument("--profile", help="write py-spy's collapsed stacks of server 1 here")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url, TwilioProcess() as twilio:
        prepare_load(url, args.rounds)
        if args.network:
            add_network(url, args.network)
        analyze(url)
        env = bot_env(url, twilio.url, 0)
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(Child(BOT, env)) for _ in range(args.processes)]
            engine = observer(url)
            print(f"throughput on {backend(url)}, {args.processes} server process(es), "
                  f"network of {args.network:,} members; {machine()}\n")
            idle = idle_cpu(servers)
            results = [run_round(servers, engine, 0)]  # warm-up: first imports, caches
            with profiled(servers[0], args.profile):
                results += [run_round(servers, engine, r) for r in range(1, args.rounds)]
            replies = twilio.stats()["accepted"]
            conversation = exchanged(engine, phone(args.rounds - 1, 0))
        print_results(args, results, idle, replies)
        print(f"\nwhat member 1 of the last round sent and got ({len(conversation)} messages):\n")
        print("\n".join(conversation))
        if args.profile:
            ours, spent = top_entries(args.profile)
            print(f"\npy-spy (--gil: the thread holding the GIL), server 1, rounds 2-"
                  f"{args.rounds}: our functions by % of samples on the stack\n")
            print(table(["function (file)", "% of samples"], ours))
            print("\nwhere the samples ended (innermost frame, by package or module)\n")
            print(table(["package", "% of samples"], spent))


def print_results(args, results: list[dict], idle: float, replies: int) -> None:
    rows = [[i, r["messages"], r["failures"], 1000 * r["cpu"] / r["messages"],
             r["messages"] / r["seconds"], 1000 * r["seconds"] / r["messages"]]
            for i, r in enumerate(results, 1)]
    print(table(["round", "messages", "not 200", "server CPU ms/msg", "msgs/s (wall)",
                 "wall ms/msg"], rows))
    measured = results[1:]
    cpu = statistics.median(1000 * r["cpu"] / r["messages"] for r in measured)
    rate = statistics.median(r["messages"] / r["seconds"] for r in measured)
    busy = statistics.median(r["busy"] for r in measured)
    print(f"\nrounds 2-{len(results)}, medians: {cpu:.1f} ms of server CPU per message "
          f"({1000 / cpu:.0f} messages/s of CPU per process), {rate:.0f} messages/s handled "
          f"and answered; replies accepted by the double: {replies:,}; idle server CPU "
          f"{100 * idle:.1f} % of a core; the machine's {os.cpu_count()} cores {100 * busy:.0f} % "
          f"busy. Target <= 8 ms: {'met' if cpu <= 8 else 'NOT met'}")


if __name__ == "__main__":
    main()
