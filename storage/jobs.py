"""What scheduled jobs share. A job is a module-level function taking only ids (APScheduler
pickles jobs into its table); it opens its own transaction and is safe to run twice: the data
lives in our tables."""
from datetime import datetime, timezone

from storage.db import session_factory, unit_of_work

_database_url: str | None = None


def configure(database_url: str | None) -> None:
    """Jobs of this process use this database (the running app's) from now on."""
    global _database_url
    _database_url = database_url


def now() -> datetime:
    return datetime.now(timezone.utc)


def transaction():
    """A unit of work on the database of the running app, for a job."""
    if _database_url is None:
        raise RuntimeError("storage.jobs.configure() must name the database before a job runs")
    return unit_of_work(session_factory(_database_url))
