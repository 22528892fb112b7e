"""What every `clusterbot` command shares: output, one-line failures, opening the database."""
import functools

import typer
from rich.console import Console as Terminal
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from locales.i18n import SHIPPED
from storage import clusters
from storage.db import session_factory, unit_of_work, upgrade
from storage.models import Cluster
from storage.seed import seed

out = Terminal(highlight=False, markup=False, emoji=False, soft_wrap=True)
err = Terminal(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)

USAGE, FAILURE = 2, 1


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
