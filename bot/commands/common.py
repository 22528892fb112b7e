"""What every `clusterbot` command shares: output, one-line failures, opening the database."""
import functools
import time
import zoneinfo
from datetime import datetime, timezone
from typing import Callable

import typer
from rich.console import Console as Terminal
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.products import catalog_names
from handlers.products import read_one as read_product
from handlers.registration import ROLES
from locales.i18n import SHIPPED
from storage import clusters
from storage.db import session_factory, unit_of_work, upgrade
from storage.models import Cluster
from storage.seed import seed

out = Terminal(highlight=False, markup=False, emoji=False, soft_wrap=True)
err = Terminal(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)

USAGE, FAILURE = 2, 1
STALL_HINT = 15  # seconds with nothing done before a watching command asks about the server


def fail(reason: str, code: int = FAILURE) -> typer.Exit:
    """Prints the one-line reason on stderr and returns the exit to raise."""
    err.print(f"error: {reason}")
    return typer.Exit(code)


def read_languages(text: str) -> list[str]:
    """`en, SW` -> [`en`, `sw`]; exits 2 when one is not shipped."""
    codes = list(dict.fromkeys(code.strip().lower() for code in text.split(",") if code.strip()))
    unknown = [code for code in codes if code not in SHIPPED]
    if not codes or unknown:
        raise fail(f"languages must be among {','.join(SHIPPED)}: {text}", USAGE)
    return codes


def reported(command):
    """Turns any unexpected error of a command into a one-line reason and exit status 1."""
    @functools.wraps(command)
    def run_reported(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as e:
            raise fail(one_line(e)) from None
    return run_reported


def one_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def open_database(settings: Settings) -> sessionmaker[Session]:
    """The session factory; a SQLite database is migrated and seeded first, so it just works."""
    if settings.database_url.startswith("sqlite"):
        prepare_database(settings.database_url)
    return session_factory(settings.database_url)


def prepare_database(url: str) -> None:
    """Migrates to the newest schema and loads the shipped catalog and places (idempotent)."""
    upgrade(url)
    with unit_of_work(session_factory(url)) as session:
        seed(session)


def cluster_named(session: Session, slug: str) -> Cluster:
    """The cluster with this slug; exits 1 with a one-line reason when there is none."""
    cluster = clusters.by_slug(session, slug)
    if cluster is None:
        raise fail(f"no cluster {slug}")
    return cluster


def audience_filters(session: Session, role: str | None, place: str | None,
                     language: str | None, product: str | None = None) -> dict:
    """The audience filters of a command that reaches members (broadcast, survey send); exits 2
    on one it cannot read."""
    if role is not None and role not in ROLES:
        raise fail(f"unknown role {role}: one of {', '.join(ROLES)}", USAGE)
    if language is not None and language not in SHIPPED:
        raise fail(f"languages must be among {','.join(SHIPPED)}: {language}", USAGE)
    filters = {key: value for key, value in
               (("role", role), ("place", place), ("language", language)) if value}
    if product is not None:
        product_id = read_product(catalog_names(session), product)
        if product_id is None:
            raise fail(f"unknown product {product}", USAGE)
        filters["product_id"] = product_id
    return filters


def read_time(text: str | None, zone: str) -> datetime | None:
    """An ISO time, read in the cluster's time zone when it has no offset; exits 2 when bad."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"not an ISO 8601 time: {text}", USAGE) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return moment.astimezone(timezone.utc)


def watch(factory: sessionmaker[Session], progress: Callable[[Session], tuple[int, int]],
          wait: int, label: str, stalled: str) -> tuple[int, int]:
    """A progress bar of what the running server does, `progress(session)` -> (done, total),
    until all is done or `wait` seconds have passed; `stalled` is said, to a terminal, when
    nothing was done for STALL_HINT seconds. Returns the last (done, total)."""
    deadline = time.monotonic() + wait
    hint_at = time.monotonic() + STALL_HINT if err.is_terminal else None  # for who watches
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(label, total=None)
        while True:
            with unit_of_work(factory) as session:
                done, total = progress(session)
            bar.update(task, completed=done, total=total)
            if done >= total or time.monotonic() > deadline:
                return done, total
            if hint_at and not done and time.monotonic() > hint_at:
                bar.console.print(stalled)
                hint_at = None
            time.sleep(0.5)
