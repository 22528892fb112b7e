"""How long the dispatcher's claim takes when the outbox keeps a long history of sent messages.

    python bench/claim.py [--database-url URL] [--sent 50000] [--pending 2000]

Writes `sent` sent messages (5,000 recipients), queues a broadcast to `pending` new members with
`storage.outbox.queue_to_members` (as the app does), then times `storage.outbox.claim` of 100
messages until 2,000 are claimed; prints the median and the slowest claim. Default database: a
scratch SQLite file; a PostgreSQL URL names a database to create and drop.
"""
import argparse
import statistics
import time
from datetime import timedelta

from common import scratch_database
from sqlalchemy import insert, select

from storage import outbox
from storage.db import session_factory, unit_of_work
from storage.models import Member, OutboundMessage

CLAIM = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sent", type=int, default=50_000)
    parser.add_argument("--pending", type=int, default=2_000)
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        factory = session_factory(url)
        with unit_of_work(factory) as session:
            session.execute(insert(OutboundMessage), [
                {"channel": "sms", "address": f"+2547{i % 5000:08d}", "text": "old",
                 "status": "sent"} for i in range(args.sent)])
            session.execute(insert(Member), [{"phone": f"+2548{i:08d}"}
                                             for i in range(args.pending)])
            new = select(Member.id).where(Member.phone.like("+2548%"))
            outbox.queue_to_members(session, new, "Meeting on Friday")
        times = []
        for _ in range(min(args.pending, 2_000) // CLAIM):
            start = time.perf_counter()
            with unit_of_work(factory) as session:
                outbox.claim(session, "sms", CLAIM, "bench", timedelta(minutes=1))
            times.append((time.perf_counter() - start) * 1000)
    print(f"{url.split(':')[0]}: {args.sent:,} sent, {args.pending:,} queued; claim of {CLAIM}: "
          f"median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms")


if __name__ == "__main__":
    main()
