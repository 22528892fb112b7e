"""What the channel benchmarks share: scratch databases, child processes, timing and tables.

Also the entry point of the child processes they start (not meant to be run by hand):

    python bench/common.py app --port P        # the clusterbot app + a bare /bare route
    python bench/common.py twilio --port P     # the Twilio double, with /bench/* controls
"""
from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

PUBLIC_URL = "https://bot.example.org"  # what the signatures are computed for, as behind a proxy
SMS_NUMBER = "+254700000000"
BROADCAST_TEXT = "Meeting on Friday 10:00 at Dunga Beach. Bring your catch records."

bench_metadata = MetaData()
BENCH_RAW = Table("bench_raw", bench_metadata,
                  Column("id", Integer, primary_key=True), Column("form", JSON))


# Databases

@contextlib.contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A new database, migrated and seeded, with one cluster; dropped (or deleted) at the end.

    No URL: a SQLite file in a temporary directory. A PostgreSQL URL names a database that must
    not exist yet: it is created on that server and dropped afterwards."""
    from storage.db import engine_for
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="clusterbot-bench-") as folder:
            url = url or f"sqlite:///{Path(folder) / 'bench.db'}"
            prepare(url)
            try:
                yield url
            finally:
                engine_for(url).dispose()
        return
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                        {"n": parsed.database}).scalar():
            sys.exit(f"database {parsed.database} already exists: drop it or name another")
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    try:
        prepare(url)
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> None:
    """Migrates, loads the catalog and places, adds one cluster and the bench_raw table."""
    from storage import clusters
    from storage.db import engine_for, session_factory, unit_of_work, upgrade
    from storage.seed import seed
    upgrade(url)
    with unit_of_work(session_factory(url)) as session:
        seed(session)
        clusters.add(session, slug="kisumu-fish", name="Kisumu Fish", currency="KES",
                     country="KE", languages=["sw", "en"], timezone="Africa/Nairobi")
    bench_metadata.create_all(engine_for(url))


def add_members(url: str, count: int, block: int, telegram_every: int = 0) -> tuple[int, int]:
    """Bulk-inserts `count` members with phones +2547<block><7 digits> (every `telegram_every`-th
    one also on Telegram); returns the first and last member id."""
    from sqlalchemy import func, insert, select
    from storage.db import session_factory, unit_of_work
    from storage.models import Member
    factory = session_factory(url)
    with unit_of_work(factory) as session:
        first = session.scalar(select(func.coalesce(func.max(Member.id), 0))) + 1
    for start in range(0, count, 5_000):
        rows = [{"phone": f"+2547{block}{i:07d}",
                 "telegram_id": 10**9 * block + i if telegram_every and i % telegram_every == 0 else None}
                for i in range(start, min(count, start + 5_000))]
        with unit_of_work(factory) as session:
            session.execute(insert(Member), rows)
    with unit_of_work(factory) as session:
        last = session.scalar(select(func.max(Member.id)))
    return first, last


def analyze(url: str) -> None:
    """PostgreSQL: refreshes the planner's statistics, as autovacuum does on its own a while after
    a bulk change. The benchmarks call it after bulk inserts so that they measure the app, not a
    server where autovacuum is off or has not come round yet (--no-analyze shows that case)."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()


def drained(engine) -> bool:
    """True when no inbound message waits for handling and no reply waits for sending."""
    from sqlalchemy import func, select
    from storage.models import InboundMessage, OutboundMessage
    with engine.connect() as conn:
        inbound = conn.execute(select(func.count()).where(
            InboundMessage.status.in_(("received", "handling")))).scalar()
        outbound = conn.execute(select(func.count()).where(
            OutboundMessage.status.in_(("queued", "sending")))).scalar()
    return inbound == 0 and outbound == 0


def observer(url: str):
    """A plain engine to watch progress from outside: on SQLite it reads without BEGIN IMMEDIATE,
    so it never takes the write lock from the process under test."""
    return create_engine(url)


def backend(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


# Child processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Polls `condition` until it is truthy and returns it; raises TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached after {timeout} s")
        time.sleep(interval)


class Child:
    """A child process serving HTTP on 127.0.0.1:port, stopped with SIGTERM at the end."""

    def __init__(self, args: list[str], env: dict | None = None, health: str = "/healthz"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args, self.health = [*args, "--port", str(self.port)], health
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def __enter__(self) -> "Child":
        self.started_at = time.monotonic()
        self.log = tempfile.TemporaryFile()  # a pipe nobody reads would block a chatty child
        self.process = subprocess.Popen([sys.executable, *self.args], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        wait_until(self._healthy, timeout=60, what=f"{self.args[0]} started")
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the child has used so far; Linux only."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stderr(self) -> str:
        """What the child wrote on stderr so far (its last 2,000 characters)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.args} exited: {self.stderr()}")
        try:
            return httpx.get(self.url + self.health, timeout=1, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def bot_env(database_url: str, twilio_url: str | None, sms_mps: float) -> dict:
    """The environment of a clusterbot process sending SMS to the Twilio double (none: SMS off)."""
    env = {"CLUSTERBOT_DATABASE_URL": database_url, "CLUSTERBOT_PUBLIC_URL": PUBLIC_URL,
           "CLUSTERBOT_SMS_MPS": str(sms_mps), "CLUSTERBOT_TELEGRAM_TOKEN": "",
           "CLUSTERBOT_TWILIO_ACCOUNT_SID": "", "CLUSTERBOT_TWILIO_AUTH_TOKEN": "",
           "CLUSTERBOT_TWILIO_FROM": ""}
    if twilio_url:
        from doubles.twilio import TwilioDouble
        double = TwilioDouble()
        env.update({"CLUSTERBOT_TWILIO_ACCOUNT_SID": double.account_sid,
                    "CLUSTERBOT_TWILIO_AUTH_TOKEN": double.auth_token,
                    "CLUSTERBOT_TWILIO_FROM": SMS_NUMBER, "CLUSTERBOT_TWILIO_API_URL": twilio_url})
    return env


class TwilioProcess(Child):
    """The Twilio double in its own process, so it does not share a GIL with the load."""

    def __init__(self):
        super().__init__(["bench/common.py", "twilio"], health="/bench/stats")

    def stats(self, times: bool = False, recipients: bool = False) -> dict:
        """accepted, rejected_429, requests; with `times` the epoch second of each accepted,
        with `recipients` [to, epoch second] of each."""
        return httpx.get(self.url + "/bench/stats",
                         params={"times": int(times), "recipients": int(recipients)},
                         timeout=30, trust_env=False).json()

    def reset(self, limit_per_second: int | None = None) -> None:
        """Forgets everything; then answers 429 beyond `limit_per_second` in any 1 s window."""
        httpx.post(self.url + "/bench/reset", params={"limit": limit_per_second or 0},
                   timeout=30, trust_env=False).raise_for_status()


def serve_twilio(port: int) -> None:
    """Child: the Twilio double with /bench/stats and /bench/reset, on 127.0.0.1:port."""
    import uvicorn
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from doubles.twilio import TwilioDouble
    double = TwilioDouble()

    async def stats(request):
        sent = double.sent
        body = {"accepted": len(sent), "rejected_429": double.rejected_429,
                "requests": double.requests}
        if request.query_params.get("times") == "1":
            body["times"] = [m.at.timestamp() for m in sent]
        if request.query_params.get("recipients") == "1":
            body["recipients"] = [[m.to, m.at.timestamp()] for m in sent]
        return JSONResponse(body)

    async def reset(request):
        double.reset()
        double.limit_per_second(int(request.query_params.get("limit", 0)) or None)
        return JSONResponse({})

    double.app.router.routes[:0] = [Route("/bench/stats", stats),
                                    Route("/bench/reset", reset, methods=["POST"])]
    uvicorn.run(double.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_app(port: int) -> None:
    """Child: `create_app()` from the environment's settings, plus POST /bare, which reads the
    form and checks its Twilio signature as the SMS webhook does (signed for the webhook's path:
    the bench posts the same forms to both), then only stores the raw form in the same database
    (same engine, same thread pool) and answers like Twilio."""
    import uvicorn
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route
    from bot.app import EMPTY_TWIML, create_app
    from bot.channels import sms
    from bot.settings import get_settings
    from storage.db import engine_for
    settings = get_settings()
    app = create_app(settings)
    engine = engine_for(settings.database_url)

    def store_raw(form: dict) -> None:
        with engine.begin() as conn:
            conn.execute(BENCH_RAW.insert().values(form=form))

    async def bare(request):
        form = sms.read_form(await request.body())
        if form is None or not sms.signature_ok(settings, sms.INBOUND_PATH, form,
                                                request.headers.get("X-Twilio-Signature")):
            return Response("forbidden", status_code=403)
        await run_in_threadpool(store_raw, form)
        return Response(EMPTY_TWIML, media_type="application/xml")

    app.router.routes.append(Route("/bare", bare, methods=["POST"]))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=30)


# Measuring and printing

def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    def cell(value):
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
        return f"{value:,}" if isinstance(value, int) else str(value)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """Date, CPU count, Python and the load average, for the record."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()}, load average {load}")


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


if __name__ == "__main__":
    role, _, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"app": serve_app, "twilio": serve_twilio}[role](port)
