"""Time and memory to queue one broadcast to 100,000 members, against queueing them one by one.

    python bench/fanout.py                                    # SQLite file in a temp directory
    python bench/fanout.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fanout

Members are bulk-inserted first (not timed; every fourth one also has Telegram, so it gets the
broadcast there). Then, in this process: `storage.outbox.queue_to_members` on all of them in one
transaction (timed; then again under tracemalloc for the Python heap peak), and the baseline,
`queue_to_member` called per loaded member, on the first 10,000 and extrapolated.
"""
from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from sqlalchemy import delete, func, select

from common import (BROADCAST_TEXT, add_members, backend, machine, scratch_database, table)
from storage import outbox
from storage.db import session_factory, unit_of_work
from storage.models import Member, OutboundMessage


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clear_outbox(factory) -> None:
    with unit_of_work(factory) as session:
        session.execute(delete(OutboundMessage))


def bulk(factory, first: int, last: int) -> int:
    """One INSERT ... SELECT for every member in [first, last]; returns the rows queued."""
    with unit_of_work(factory) as session:
        return outbox.queue_to_members(
            session, select(Member.id).where(Member.id.between(first, last)), BROADCAST_TEXT)


def one_by_one(factory, first: int, last: int) -> int:
    """Loads each member and calls queue_to_member; one transaction; returns the rows queued."""
    queued = 0
    with unit_of_work(factory) as session:
        for member in session.scalars(select(Member).where(Member.id.between(first, last))):
            queued += outbox.queue_to_member(session, member, BROADCAST_TEXT) is not None
    return queued


def timed(function, *args) -> tuple[int, float]:
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def traced_peak_mb(function, *args) -> float:
    """The Python heap's peak while `function` runs, in MiB."""
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000, help="members queued one by one")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url:
        factory = session_factory(url)
        first, last = add_members(url, args.members, block=5, telegram_every=4)
        print(f"broadcast fan-out on {backend(url)}; {machine()}\n")

        rss_before = peak_rss_mb()
        queued, seconds = timed(bulk, factory, first, last)
        rss_after = peak_rss_mb()
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(OutboundMessage)) == queued
        clear_outbox(factory)
        heap = traced_peak_mb(bulk, factory, first, last)
        clear_outbox(factory)

        rss_base_before = peak_rss_mb()
        base_last = first + args.baseline - 1
        base_queued, base_seconds = timed(one_by_one, factory, first, base_last)
        rss_base_after = peak_rss_mb()
        clear_outbox(factory)
        base_heap = traced_peak_mb(one_by_one, factory, first, base_last)
        clear_outbox(factory)

        scale = args.members / args.baseline
        print(table(
            ["method", "members", "rows queued", "seconds", "rows/s", "peak RSS MB before",
             "peak RSS MB after", "tracemalloc peak MB"],
            [["queue_to_members (one INSERT ... SELECT)", args.members, queued, seconds,
              queued / seconds, rss_before, rss_after, heap],
             ["queue_to_member, one by one", args.baseline, base_queued, base_seconds,
              base_queued / base_seconds, rss_base_before, rss_base_after, base_heap],
             [f"one by one, x{scale:g} (extrapolated)", args.members, round(base_queued * scale),
              base_seconds * scale, base_queued / base_seconds, "-", "-", base_heap * scale]]))
        print(f"\nbulk is {base_seconds * scale / seconds:.1f}x faster than one by one "
              f"(extrapolated to {args.members:,})")
        print(f"target: {args.members:,} queued in < 10 s: {'met' if seconds < 10 else 'NOT met'}; "
              f"peak RSS < 200 MB: {'met' if rss_after < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
