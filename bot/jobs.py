"""What scheduled jobs share. A job is a module-level function taking only ids (APScheduler
pickles jobs into its table); it opens its own transaction and is safe to run twice: the data
lives in our tables."""
from datetime import datetime, timezone

from bot.settings import Settings, get_settings
from storage.db import session_factory, unit_of_work

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Jobs of this process use these settings (the running app's) from now on."""
    global _settings
    _settings = settings


def now() -> datetime:
    return datetime.now(timezone.utc)


def transaction():
    """A unit of work on the database of the running app, for a job."""
    return unit_of_work(session_factory((_settings or get_settings()).database_url))
