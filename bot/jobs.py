"""Scheduled jobs. Each is a module-level function taking only ids (APScheduler pickles jobs
into its table), opening its own transaction, and safe to run twice: the data lives in our tables."""
import logging
from datetime import datetime, timezone

from bot.settings import get_settings
from storage.db import session_factory, unit_of_work

log = logging.getLogger(__name__)

# (job id, function, APScheduler trigger and its arguments) of the jobs every deployment runs.
PERIODIC: list[tuple[str, str, dict]] = []


def now() -> datetime:
    return datetime.now(timezone.utc)


def factory():
    return session_factory(get_settings().database_url)


def transaction():
    """A unit of work on the configured database, for a job."""
    return unit_of_work(factory())
